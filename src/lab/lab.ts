// `lab up`, `lab down` and `lab status`: a set of real Debian hosts on this machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "../util/exec.js";
import { stopwatch } from "../util/time.js";
import { DEFAULT_RELEASE, RELEASES, type Release } from "../fields/releases.js";
import { ensureAptRepo, type AptRepo } from "./apt-repo.js";
import { hostCgroups, memoryUse, type MemoryUse } from "./cgroups.js";
import { bootHost, diskRelease, isRunning, killAll, prepareHost, stopHost, wipeDisk } from "./host.js";
import { hostStateNow, waitForHost, waitLimits } from "./host-wait.js";
import { ensureImage, type Image } from "./image.js";
import { tableFulls } from "./kernel-limits.js";
import { etcHosts, writeLabFiles } from "./lab-files.js";
import { labHost, labLayout, type LabHost, type LabLayout, type Underlay } from "./layout.js";
import { ensureBridge, linkExists, netnsExists, removeBridge } from "./network.js";
import { checkLabPrerequisites } from "./preflight.js";
import { claimLab, forgetLab, labUnderlay, listLabs, readLab } from "./registry.js";
import { ensureRepoServer, repoServerPid, stopRepoServer } from "./repo-service.js";
import { raiseKernelLimits, readSysctl } from "./sysctl.js";

export type Log = (msg: string) => void;

export interface HostReport {
  name: string;
  address: string;
  /** the release its disk was made from */
  release?: Release;
  running: boolean;
  systemd?: string;
  /** why systemd is not `running`: failed units and their journal, or why SSH fails */
  problem?: string;
  memory?: MemoryUse;
}

export interface UpOptions {
  /** releases to cycle over the hosts (node1 the first, node2 the second…); default: the lab's own, or bookworm */
  releases?: Release[];
  /** a new lab's underlay (default ipv4); an existing lab keeps its own and refuses another */
  underlay?: Underlay;
}

export async function labUp(name: string, hostCount: number, log: Log, opts: UpOptions = {}): Promise<LabLayout> {
  checkLabPrerequisites();
  const elapsed = stopwatch();
  // The limits are the machine's, so they are sized for every lab on it, this one as it will be.
  raiseKernelLimits([...listLabs().filter((l) => l.name !== name).map((l) => l.hosts), hostCount], log);
  // Before the lab's record is read: counted for both families, checked for the lab's own below.
  const fullsBefore = { ipv4: neighbourTableFulls("ipv4"), ipv6: neighbourTableFulls("ipv6") };
  const previous = readLab(name);
  if (previous && opts.releases) {
    // A host's release is its disk's: a different one needs a rebuild, which loses the disk.
    const lab = labLayout(name, previous.index, hostCount, labUnderlay(previous));
    for (const host of lab.hosts) {
      const has = diskRelease(host);
      const wanted = releaseOfHost(opts.releases, host.n);
      if (has !== undefined && has !== wanted) {
        throw new Error(
          `lab '${name}': ${host.name} runs ${has} and --release asks for ${wanted}; ` +
            `\`lab rebuild ${host.name} --name ${name} --release ${wanted}\` rebuilds it (its disk is lost, its SSH host keys kept), \`lab down --name ${name}\` removes the lab`,
        );
      }
    }
  }
  const record = await claimLab(name, hostCount, opts.releases, opts.underlay);
  const lab = labLayout(name, record.index, hostCount, labUnderlay(record));
  const releases = record.releases ?? [DEFAULT_RELEASE];
  const hostRelease = new Map(lab.hosts.map((h) => [h.name, diskRelease(h) ?? releaseOfHost(releases, h.n)]));
  mkdirSync(lab.runDir, { recursive: true });
  if (!existsSync(lab.keyFile)) {
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `bgpmesh-lab-${name}`, "-f", lab.keyFile]);
  }
  const images = new Map<Release, Image>();
  const repos: AptRepo[] = [];
  // In RELEASES' order, so the repository server's arguments do not depend on the hosts' order.
  for (const release of (Object.keys(RELEASES) as Release[]).filter((r) => [...hostRelease.values()].includes(r))) {
    const image = await ensureImage(release, log);
    images.set(release, image);
    repos.push(await ensureAptRepo(image, log));
  }
  await ensureBridge(lab);
  await ensureRepoServer(lab, repos);

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
      await prepareHost(lab, host, images.get(hostRelease.get(host.name)!)!, hostsFile, pubKey, running);
      if (!running) {
        bootHost(lab, host);
        booted.push(host);
      }
    }),
  );
  writeLabFiles(lab);
  const limits = waitLimits(booted.length);
  const outcomes = await Promise.all(lab.hosts.map((h) => waitForHost(lab, h, limits)));
  const problems = outcomes.flatMap((o) => (o.problem ? [o.problem] : []));
  const arpFulls = neighbourTableFulls(lab.underlay) - fullsBefore[lab.underlay];
  if (arpFulls > 0) {
    const [family, table, key] = lab.underlay === "ipv6" ? ["IPv6", "ndisc_cache", "ipv6"] : ["IPv4", "arp_cache", "ipv4"];
    problems.push(
      `the machine's ${family} neighbour table refused ${arpFulls} new entries while the lab came up (/proc/net/stat/${table} table_fulls): ` +
        `net.${key}.neigh.default.gc_thresh3 is ${readSysctl(`net.${key}.neigh.default.gc_thresh3`)}, too few for the labs on this machine`,
    );
  }
  if (problems.length > 0) {
    const down = outcomes.filter((o) => o.problem).length;
    throw new Error(
      `lab '${name}': ${down} of ${hostCount} hosts did not come up (the rest run; \`lab status --name ${name}\` shows them, \`lab down --name ${name}\` removes the lab):\n` +
        problems.join("\n"),
    );
  }
  const kept = hostCount - booted.length;
  const counts = [...images.keys()].map((r) => `${[...hostRelease.values()].filter((x) => x === r).length} ${r}`).join(", ");
  log(
    `lab '${name}' is up: ${hostCount} hosts (${counts}) on ${lab.subnet}, systemd running on each (${booted.length} booted, ${kept} already running) in ${elapsed().toFixed(1)}s`,
  );
  log(`inventory: ${lab.inventoryFile}`);
  return lab;
}

/**
 * Builds (once) each release's image and package repository without booting anything, side by
 * side: what the first `lab up` of a release would otherwise do first. The test script runs it
 * while the unit tests run.
 */
export async function labCache(releases: Release[], log: Log): Promise<void> {
  checkLabPrerequisites();
  const elapsed = stopwatch();
  await Promise.all(releases.map(async (r) => ensureAptRepo(await ensureImage(r, log), log)));
  log(`images and package repositories of ${releases.join(", ")} ready in ${elapsed().toFixed(1)}s`);
}

/** Releases cycle over the hosts: node1 gets the first, node2 the second, and so on round. */
export function releaseOfHost(releases: Release[], n: number): Release {
  return releases[(n - 1) % releases.length]!;
}

/** Entries the machine's neighbour table of the family refused so far (ARP for IPv4, NDISC for IPv6). */
function neighbourTableFulls(underlay: Underlay): number {
  const file = underlay === "ipv6" ? "/proc/net/stat/ndisc_cache" : "/proc/net/stat/arp_cache";
  return tableFulls(existsSync(file) ? readFileSync(file, "utf8") : "");
}

/** Hosts that have a folder in the lab (running or not). */
function hostsOnDisk(lab: LabLayout): LabHost[] {
  const dir = join(lab.dir, "hosts");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((d) => /^node(\d+)$/.exec(d)?.[1])
    .filter((n): n is string => n !== undefined)
    .map((n) => labHost(lab.name, lab.index, Number(n), lab.underlay));
}

function knownLayout(name: string): LabLayout | undefined {
  const record = readLab(name);
  if (!record) return undefined;
  const base = labLayout(name, record.index, Math.max(record.hosts, 1), labUnderlay(record));
  const onDisk = hostsOnDisk(base);
  const count = Math.max(record.hosts, ...onDisk.map((h) => h.n));
  return labLayout(name, record.index, count, labUnderlay(record));
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

/**
 * A power cut: every process of the host (systemd-nspawn, its launcher and everything in the
 * container) killed at once, with no shutdown. Its disk, mount and network stay, as a real
 * machine's would; `lab up` boots it again (and clears what the crash left first).
 */
export async function labCrash(name: string, hostName: string): Promise<void> {
  checkLabPrerequisites();
  const lab = knownLayout(name);
  if (!lab) throw new Error(`no lab named '${name}'`);
  const host = lab.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`lab '${name}' has no host '${hostName}' (it has ${lab.hosts.map((h) => h.name).join(", ")})`);
  const left = await killAll(hostCgroups(lab.name, host.machine));
  if (left.length > 0) throw new Error(`${hostName}: processes still alive after SIGKILL: ${left.join(" ")}`);
}

/**
 * Reinstalls a host: powers it off, wipes its disk (keeping its SSH host keys, as an operator
 * restoring them would) and boots it from `release`'s image (default: the one it had).
 */
export async function labRebuild(name: string, hostName: string, log: Log, release?: Release): Promise<void> {
  checkLabPrerequisites();
  const lab = knownLayout(name);
  if (!lab) throw new Error(`no lab named '${name}'`);
  const host = lab.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`lab '${name}' has no host '${hostName}' (it has ${lab.hosts.map((h) => h.name).join(", ")})`);
  const to = release ?? diskRelease(host) ?? DEFAULT_RELEASE;
  log(`rebuilding ${hostName} as ${to}: its disk is wiped, its SSH host keys kept`);
  await stopHost(lab, host);
  wipeDisk(host, to);
  await labUp(name, lab.hosts.length, log);
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
      const report: HostReport = { name: h.name, address: h.address, running, release: diskRelease(h) };
      if (running) {
        const now = await hostStateNow(lab, h);
        report.systemd = now.state;
        report.problem = now.problem;
        report.memory = memoryUse(hostCgroups(lab.name, h.machine));
      }
      return report;
    }),
  );
  return { lab, repoServer: repoServerPid(lab) !== undefined, hosts };
}
