// `lab up`, `lab down` and `lab status`: a set of real Debian hosts on this machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { run } from "../util/exec.js";
import { stopwatch, waitFor } from "../util/time.js";
import { ensureAptRepo } from "./apt-repo.js";
import { hostCgroups, memoryUse, type MemoryUse } from "./cgroups.js";
import { bootHost, consoleLog, isRunning, prepareHost, stopHost } from "./host.js";
import { ensureImage } from "./image.js";
import { etcHosts, writeLabFiles } from "./lab-files.js";
import { labHost, labLayout, type LabHost, type LabLayout } from "./layout.js";
import { ensureBridge, linkExists, netnsExists, removeBridge } from "./network.js";
import { checkLabPrerequisites } from "./preflight.js";
import { claimLab, forgetLab, listLabs, readLab } from "./registry.js";
import { ensureRepoServer, repoServerPid, stopRepoServer } from "./repo-service.js";

export type Log = (msg: string) => void;

export interface HostReport {
  name: string;
  address: string;
  running: boolean;
  systemd?: string;
  memory?: MemoryUse;
}

export async function labUp(name: string, hostCount: number, log: Log): Promise<LabLayout> {
  checkLabPrerequisites();
  const elapsed = stopwatch();
  const record = await claimLab(name, hostCount);
  const lab = labLayout(name, record.index, hostCount);
  mkdirSync(lab.runDir, { recursive: true });
  if (!existsSync(lab.keyFile)) {
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `bgpmesh-lab-${name}`, "-f", lab.keyFile]);
  }
  const image = await ensureImage(log);
  const repo = await ensureAptRepo(image, log);
  await ensureBridge(lab);
  await ensureRepoServer(lab, repo);

  for (const extra of hostsOnDisk(lab).filter((h) => h.n > hostCount)) {
    log(`removing ${extra.name} (the lab now has ${hostCount} hosts)`);
    await stopHost(lab, extra);
    rmSync(extra.dir, { recursive: true, force: true });
  }

  const hostsFile = etcHosts(lab);
  const pubKey = readFileSync(`${lab.keyFile}.pub`, "utf8");
  const booted: LabHost[] = [];
  await Promise.all(
    lab.hosts.map(async (host) => {
      const running = await isRunning(lab, host);
      if (!running) {
        // Whatever a crash left behind (namespace, veth, mount, cgroups, pid file) goes first.
        await stopHost(lab, host);
      }
      await prepareHost(lab, host, image, hostsFile, pubKey, running);
      if (!running) {
        bootHost(lab, host);
        booted.push(host);
      }
    }),
  );
  writeLabFiles(lab);
  const states = await Promise.all(booted.map((h) => waitForHost(lab, h)));
  for (const [i, host] of booted.entries()) log(`${host.name} ${host.address}: systemd ${states[i]}`);
  const kept = hostCount - booted.length;
  log(
    `lab '${name}' is up: ${hostCount} hosts on ${lab.subnet} (${booted.length} booted, ${kept} already running) in ${elapsed().toFixed(1)}s`,
  );
  log(`inventory: ${lab.inventoryFile}`);
  return lab;
}

/** Waits until sshd answers with the host's known key and systemd has finished booting. */
async function waitForHost(lab: LabLayout, host: LabHost): Promise<string> {
  await waitFor(`${host.name}: sshd on ${host.address}:22 (see ${consoleLog(lab, host)})`, 60_000, () => portOpen(host.address, 22), 50);
  const ssh = ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", host.name];
  const r = await waitFor(`${host.name}: ssh login`, 30_000, async () => {
    const res = await run("ssh", [...ssh, "systemctl is-system-running --wait"], { allowFailure: true, timeoutMs: 90_000 });
    return res.code === 255 ? undefined : res;
  }, 200);
  const state = r.stdout.trim() || r.stderr.trim();
  if (state === "running") return state;
  const failed = await run("ssh", [...ssh, "systemctl --failed --no-legend --plain"], { allowFailure: true });
  return `${state} (failed units: ${failed.stdout.trim().split("\n").map((l) => l.split(" ")[0]).join(", ") || "none"})`;
}

function portOpen(address: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port, timeout: 500 });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok ? true : undefined);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.once("timeout", () => done(false));
  });
}

/** Hosts that have a folder in the lab (running or not). */
function hostsOnDisk(lab: LabLayout): LabHost[] {
  const dir = join(lab.dir, "hosts");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((d) => /^node(\d+)$/.exec(d)?.[1])
    .filter((n): n is string => n !== undefined)
    .map((n) => labHost(lab.name, lab.index, Number(n)));
}

function knownLayout(name: string): LabLayout | undefined {
  const record = readLab(name);
  if (!record) return undefined;
  const base = labLayout(name, record.index, Math.max(record.hosts, 1));
  const onDisk = hostsOnDisk(base);
  const count = Math.max(record.hosts, ...onDisk.map((h) => h.n));
  return labLayout(name, record.index, count);
}

export interface DownOptions {
  keepState?: boolean;
}

export async function labDown(name: string, log: Log, opts: DownOptions = {}): Promise<void> {
  checkLabPrerequisites();
  const lab = knownLayout(name);
  if (!lab) {
    log(`no lab named '${name}'`);
    return;
  }
  const elapsed = stopwatch();
  await Promise.all(lab.hosts.map((h) => stopHost(lab, h)));
  await stopRepoServer(lab);
  await removeBridge(lab.bridge);
  if (!opts.keepState) forgetLab(name);
  const left = await leftovers(lab);
  if (left.length > 0) throw new Error(`lab '${name}' did not go down cleanly; left behind:\n  ${left.join("\n  ")}`);
  log(`lab '${name}' is down${opts.keepState ? " (host disks kept)" : ""} in ${elapsed().toFixed(1)}s`);
}

export async function labDownAll(log: Log, opts: DownOptions = {}): Promise<void> {
  for (const lab of listLabs()) await labDown(lab.name, log, opts);
}

/** What of the lab still exists on the machine: nothing, after a clean `down`. */
export async function leftovers(lab: LabLayout): Promise<string[]> {
  const left: string[] = [];
  if (repoServerPid(lab) !== undefined) left.push("apt repository server");
  if (await linkExists(lab.bridge)) left.push(`bridge ${lab.bridge}`);
  const mounts = readFileSync("/proc/self/mounts", "utf8");
  for (const host of lab.hosts) {
    if (netnsExists(host.netns)) left.push(`network namespace ${host.netns}`);
    if (await linkExists(host.veth)) left.push(`veth ${host.veth}`);
    if (mounts.includes(` ${host.dir}/`)) left.push(`mount under ${host.dir}`);
    const cg = hostCgroups(lab.name, host.machine);
    for (const d of [...cg.dirs, ...(cg.memory ? [cg.memory] : [])]) if (existsSync(d)) left.push(`cgroup ${d}`);
  }
  return left;
}

export async function labStatus(name: string): Promise<{ lab: LabLayout; repoServer: boolean; hosts: HostReport[] } | undefined> {
  checkLabPrerequisites();
  const lab = knownLayout(name);
  if (!lab) return undefined;
  const hosts = await Promise.all(
    lab.hosts.map(async (h): Promise<HostReport> => {
      const running = await isRunning(lab, h);
      const report: HostReport = { name: h.name, address: h.address, running };
      if (running) {
        const r = await run("ssh", ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", h.name, "systemctl is-system-running"], {
          allowFailure: true,
          timeoutMs: 10_000,
        });
        report.systemd = r.stdout.trim() || "unreachable";
        report.memory = memoryUse(hostCgroups(lab.name, h.machine));
      }
      return report;
    }),
  );
  return { lab, repoServer: repoServerPid(lab) !== undefined, hosts };
}
