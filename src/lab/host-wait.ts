// Waiting for booted hosts: each one either reaches systemd `running` or yields the reason it did
// not (host-state.ts), and `lab up` names every such host instead of stopping at the first
// timeout or reporting a `degraded` host as up.
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { run } from "../util/exec.js";
import { sleep } from "../util/time.js";
import { consoleLog, launcherPid } from "./host.js";
import { bootProblem, hostProblem, parseStateProbe, stateProbe } from "./host-state.js";
import type { LabHost, LabLayout } from "./layout.js";

export interface HostOutcome {
  host: LabHost;
  /** systemd's state, or what stopped us from reading it */
  state: string;
  /** why the host is not up; undefined when it is */
  problem?: string;
}

export interface WaitLimits {
  /** until sshd answers */
  sshdMs: number;
  /** until systemd has finished booting, once logged in */
  systemdMs: number;
}

/**
 * Booting hosts share the machine's cores: on 2 cores 100 hosts take minutes to boot together,
 * while 3 take seconds, so the deadlines grow with the number booting at once.
 */
export function waitLimits(booting: number): WaitLimits {
  return { sshdMs: 60_000 + booting * 2_000, systemdMs: 90_000 + booting * 1_000 };
}

const sshArgs = (lab: LabLayout, host: LabHost) => ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", host.name];

function consoleText(lab: LabLayout, host: LabHost): string {
  const file = consoleLog(lab, host);
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

export async function waitForHost(lab: LabLayout, host: LabHost, limits: WaitLimits): Promise<HostOutcome> {
  const deadline = Date.now() + limits.sshdMs;
  for (;;) {
    if (await portOpen(host.address, 22)) break;
    // A container whose PID 1 gave up will not come back: say so now, not at the deadline.
    if (launcherPid(lab, host) === undefined) {
      const what = `the container exited before sshd answered (console: ${consoleLog(lab, host)})`;
      return { host, state: "exited", problem: bootProblem(host.name, what, consoleText(lab, host)) };
    }
    if (Date.now() > deadline) {
      const what = `sshd on ${host.address}:22 did not answer within ${limits.sshdMs / 1000}s (console: ${consoleLog(lab, host)})`;
      return { host, state: "not booted", problem: bootProblem(host.name, what, consoleText(lab, host)) };
    }
    await sleep(200);
  }
  const waitSeconds = Math.ceil(limits.systemdMs / 1000);
  const loginDeadline = Date.now() + 30_000;
  for (;;) {
    const r = await run("ssh", [...sshArgs(lab, host), stateProbe(waitSeconds)], {
      allowFailure: true,
      timeoutMs: limits.systemdMs + 30_000,
    });
    // 255: ssh itself failed (sshd up but not yet accepting logins, or the network is broken).
    if (r.code !== 255) {
      const state = parseStateProbe(r.stdout);
      return { host, state: state.state, problem: hostProblem(host.name, state) };
    }
    if (Date.now() > loginDeadline) {
      const why = r.stderr.trim().split("\n").slice(-2).join("; ") || "no message";
      return { host, state: "unreachable", problem: `${host.name}: sshd answers on ${host.address}:22 but ssh as root fails: ${why}` };
    }
    await sleep(500);
  }
}

/** The state of a host that is already up, without waiting (lab status). */
export async function hostStateNow(lab: LabLayout, host: LabHost): Promise<Omit<HostOutcome, "host">> {
  const r = await run("ssh", [...sshArgs(lab, host), stateProbe(0)], { allowFailure: true, timeoutMs: 15_000 });
  if (r.code === 255 || !r.stdout.includes("state ")) {
    const why = r.stderr.trim().split("\n").slice(-2).join("; ") || `ssh exited with ${r.code}`;
    return { state: "unreachable", problem: `${host.name}: ssh as root to ${host.address} fails: ${why}` };
  }
  const state = parseStateProbe(r.stdout);
  return { state: state.state, problem: hostProblem(host.name, state) };
}

function portOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port, timeout: 500 });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  });
}
