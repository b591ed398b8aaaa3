import { readFileSync } from "node:fs";

/**
 * True when `pid` names a live process. A zombie counts as dead: on machines whose PID 1 reaps
 * orphans lazily, a killed daemon lingers as <defunct> and kill(pid, 0) still succeeds.
 */
export function alive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return !/^State:\s*Z/m.test(status);
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid in `file` if that process is alive and its command line contains `marker`. */
export function livePid(file: string, marker: string): number | undefined {
  const pid = readPid(file);
  return pid !== undefined && alive(pid) && cmdline(pid).includes(marker) ? pid : undefined;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
