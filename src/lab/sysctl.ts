// Raises the kernel limits the labs need (kernel-limits.ts) before a host boots: a host that
// runs out of one fails half-way and quietly, so a limit we cannot raise stops `lab up` instead.
// Written to /proc/sys for this boot of the machine only; the next `lab up` after a reboot
// raises them again.
import { readFileSync, writeFileSync } from "node:fs";
import { neededLimits, raisesNeeded, type Raise } from "./kernel-limits.js";

export const sysctlPath = (key: string): string => `/proc/sys/${key.replace(/\./g, "/")}`;

/** The sysctl's (first) number, or undefined when the machine has no such sysctl (no IPv6, conntrack not loaded). */
export function readSysctl(key: string): number | undefined {
  try {
    const n = Number(readFileSync(sysctlPath(key), "utf8").trim().split(/\s+/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises every limit below what labs of `labSizes` hosts need, logs one line for each it raised,
 * and throws naming each one it could not write and why the lab needs it.
 */
export function raiseKernelLimits(labSizes: number[], log: (msg: string) => void): Raise[] {
  const raises = raisesNeeded(neededLimits(labSizes), readSysctl);
  const refused: string[] = [];
  const fixes: string[] = [];
  const raised: Raise[] = [];
  for (const r of raises) {
    try {
      writeFileSync(sysctlPath(r.key), `${r.to}\n`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      refused.push(
        `${r.key} is ${r.from}, ${labSizes.reduce((a, b) => a + b, 0)} hosts need ${r.to}, and ${sysctlPath(r.key)} cannot be written (${err.code ?? err.message}): ${r.why}`,
      );
      fixes.push(`${r.key}=${r.to}`);
      continue;
    }
    const now = readSysctl(r.key);
    if (now !== undefined && now < r.to) {
      refused.push(`${r.key}: wrote ${r.to} but the kernel kept ${now}: ${r.why}`);
      fixes.push(`${r.key}=${r.to}`);
      continue;
    }
    raised.push(r);
    log(`raised ${r.key} ${r.from} → ${r.to}`);
  }
  if (refused.length > 0) {
    throw new Error(
      `the lab cannot raise kernel limits its hosts need (nothing was booted):\n  ${refused.join("\n  ")}\n` +
        `raise them as root on the machine itself (outside any container), e.g. sysctl -w ${fixes.join(" ")}, or start fewer hosts`,
    );
  }
  return raised;
}
