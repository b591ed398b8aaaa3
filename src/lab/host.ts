// One lab host: an overlay root over the shared image, an identity of its own written before its
// first boot, and a systemd-nspawn container (systemd as PID 1, sshd) in its network namespace.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRelease, type Release } from "../fields/releases.js";
import { run } from "../util/exec.js";
import { alive, livePid, signal } from "../util/procs.js";
import { projectFile } from "../util/project.js";
import { sleep } from "../util/time.js";
import { allDirs, cgroupPids, createCgroups, hostCgroups, removeCgroups, type HostCgroups } from "./cgroups.js";
import type { Image } from "./image.js";
import type { LabHost, LabLayout } from "./layout.js";
import { createHostNetwork, hostNetworkReady, removeHostNetwork } from "./network.js";

const LAUNCHER = projectFile("src/lab/launcher.sh");

const rootDir = (host: LabHost) => join(host.dir, "root");
const releaseFile = (host: LabHost) => join(host.dir, "release");

/** The release a host's disk was made from; undefined for a host with no disk yet. */
export function diskRelease(host: LabHost): Release | undefined {
  if (!existsSync(join(host.dir, "upper"))) return undefined;
  // Hosts made before labs had releases are bookworm.
  const text = existsSync(releaseFile(host)) ? readFileSync(releaseFile(host), "utf8").trim() : "bookworm";
  if (!isRelease(text)) throw new Error(`${releaseFile(host)}: '${text}' is not a release this lab knows`);
  return text;
}

/**
 * Wipes a stopped host's disk, as a reinstall would, keeping its SSH host keys (an operator
 * rebuilding a machine restores them, so clients' known_hosts stay valid); its next boot starts
 * from `release`'s image.
 */
export function wipeDisk(host: LabHost, release: Release): void {
  const sshDir = join(host.dir, "upper/etc/ssh");
  const keys = existsSync(sshDir) ? readdirSync(sshDir).filter((f) => f.startsWith("ssh_host_")) : [];
  const saved = keys.map((f) => ({ f, data: readFileSync(join(sshDir, f)), mode: statSync(join(sshDir, f)).mode & 0o777 }));
  for (const d of ["upper", "work"]) rmSync(join(host.dir, d), { recursive: true, force: true });
  mkdirSync(sshDir, { recursive: true, mode: 0o755 });
  for (const k of saved) writeFileSync(join(sshDir, k.f), k.data, { mode: k.mode });
  writeFileSync(releaseFile(host), `${release}\n`);
}
const pidFile = (lab: LabLayout, host: LabHost) => join(lab.runDir, `${host.name}.pid`);
export const consoleLog = (lab: LabLayout, host: LabHost) => join(lab.runDir, `${host.name}.console`);

export function isMounted(path: string): boolean {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[1] === path);
}

export function launcherPid(lab: LabLayout, host: LabHost): number | undefined {
  return livePid(pidFile(lab, host), "launcher.sh");
}

/** Running means: its launcher lives, its root is mounted and its network is in place. */
export async function isRunning(lab: LabLayout, host: LabHost): Promise<boolean> {
  return launcherPid(lab, host) !== undefined && isMounted(rootDir(host)) && (await hostNetworkReady(lab, host));
}

/**
 * Gives a stopped host its network and root file system, and any host (running or not) the
 * files that follow the lab's current shape: /etc/hosts, apt sources, authorized keys.
 */
export async function prepareHost(
  lab: LabLayout,
  host: LabHost,
  image: Image,
  hostsFile: string,
  pubKey: string,
  running: boolean,
): Promise<void> {
  const root = rootDir(host);
  if (!running) {
    await createHostNetwork(lab, host);
    for (const d of ["upper", "work", "root"]) mkdirSync(join(host.dir, d), { recursive: true });
    writeFileSync(releaseFile(host), `${image.release}\n`);
    const layers = `lowerdir=${image.dir},upperdir=${join(host.dir, "upper")},workdir=${join(host.dir, "work")}`;
    await run("mount", ["-t", "overlay", `bgpmesh-lab-${host.machine}`, "-o", layers, root]);
  }
  if (readFileSync(join(root, "etc/machine-id"), "utf8").trim() === "") {
    writeFileSync(join(root, "etc/machine-id"), randomBytes(16).toString("hex") + "\n", { mode: 0o444 });
    writeFileSync(join(root, "etc/hostname"), host.name + "\n");
    await run("ssh-keygen", ["-q", "-A", "-f", root]);
  }
  writeIfChanged(join(root, "etc/hosts"), hostsFile, 0o644);
  writeIfChanged(join(root, "etc/apt/sources.list"), `deb [trusted=yes] ${lab.repoUrl}${image.release}/ ./\n`, 0o644);
  authorize(root, "root", pubKey);
  authorize(root, "debian", pubKey);
}

function writeIfChanged(file: string, content: string, mode: number): void {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return;
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

function authorize(root: string, user: string, pubKey: string): void {
  const entry = readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === user);
  if (!entry) return;
  const [uid, gid, home] = [Number(entry[2]), Number(entry[3]), entry[5] ?? "/"];
  const sshDir = join(root, home, ".ssh");
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  writeIfChanged(join(sshDir, "authorized_keys"), pubKey, 0o600);
  chownSync(sshDir, uid, gid);
  chownSync(join(sshDir, "authorized_keys"), uid, gid);
}

export function bootHost(lab: LabLayout, host: LabHost): void {
  const cg = hostCgroups(lab.name, host.machine);
  createCgroups(cg);
  const out = openSync(consoleLog(lab, host), "a");
  const child = spawn(
    "sh",
    [
      LAUNCHER,
      allDirs(cg).join(" "),
      "systemd-nspawn",
      "--boot",
      `--directory=${rootDir(host)}`,
      `--machine=${host.machine}`,
      // No machined or system bus on the controller: without these two nspawn refuses to start.
      "--register=no",
      "--keep-unit",
      // --private-network as well as the path: it grants CAP_NET_ADMIN and a writable
      // /proc/sys/net, which tincd needs.
      "--private-network",
      `--network-namespace-path=/run/netns/${host.netns}`,
      "--resolv-conf=off",
      "--timezone=off",
      "--link-journal=no",
      "--console=read-only",
    ],
    {
      detached: true,
      stdio: ["ignore", out, out],
      // A pure cgroup2 view inside, as on a real bookworm host.
      env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" },
    },
  );
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${host.name}: could not start systemd-nspawn`);
  writeFileSync(pidFile(lab, host), `${child.pid}\n`);
  child.unref();
}

/**
 * SIGKILLs every process in the host's cgroups until none is left (up to 5 s); returns those still
 * alive then. What `lab crash` does to a running host, and what `stopHost` does to what remains.
 */
export async function killAll(cg: HostCgroups): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const left = cgroupPids(cg).filter(alive);
    if (left.length === 0) return [];
    for (const p of left) signal(p, "SIGKILL");
    await sleep(100);
  }
  return cgroupPids(cg).filter(alive);
}

/**
 * Powers the host off and removes everything it holds on the controller except its disk (the
 * overlay's upper layer). Safe on a host that is half up or left over by a crash.
 */
export async function stopHost(lab: LabLayout, host: LabHost): Promise<void> {
  const cg = hostCgroups(lab.name, host.machine);
  const pid = launcherPid(lab, host);
  if (pid !== undefined) {
    signal(pid, "SIGTERM");
    for (let i = 0; i < 200 && alive(pid); i++) await sleep(100);
  }
  await killAll(cg);
  removeCgroups(cg);
  const root = rootDir(host);
  if (isMounted(root)) {
    const r = await run("umount", [root], { allowFailure: true });
    if (r.code !== 0) await run("umount", ["-l", root]);
  }
  await removeHostNetwork(host);
  for (const d of ["propagate", "unix-export"]) {
    rmSync(join("/run/systemd/nspawn", d, host.machine), { recursive: true, force: true });
  }
  rmSync(pidFile(lab, host), { force: true });
}
