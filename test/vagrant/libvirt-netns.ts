// libvirtd and virtlogd of the test's own, in a network namespace and a mount namespace made for
// them: the VMs' networks (bridges, the management network's DHCP, its NAT rules) exist only in that
// network namespace, and libvirt's state (/etc/libvirt, /run/libvirt, /var/lib/libvirt, its logs
// and cache) is a temp folder mounted over those paths in that mount namespace only, so the
// machine's own libvirt, if any, is neither used nor changed. Every command of the test that
// talks to libvirt or the VMs (vagrant, bgpmesh-provision, ssh-keyscan) runs inside both, by
// nsenter. stop() kills every process of the namespace and removes it; the mounts go with the last
// process. This machine's PID 1 is not systemd: nothing would start libvirtd for us anyway.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, type RunOptions, type RunResult } from "../../src/util/exec.js";
import { alive, cmdline } from "../../src/util/procs.js";
import { sleep, waitFor } from "../../src/util/time.js";

/** libvirt's fixed paths for a system (root) daemon, as Debian builds it. */
const LIBVIRT_PATHS = ["/etc/libvirt", "/run/libvirt", "/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt"];

export interface LibvirtNetns {
  name: string;
  /** Runs a command inside the namespaces, in `cwd`. */
  exec(cmd: string, args: string[], opts?: RunOptions & { cwd?: string }): Promise<RunResult>;
  /** Starts a long-running command inside them (its output to `log`); stop() ends it. */
  spawn(cmd: string, args: string[], log: string): void;
  stop(): Promise<void>;
}

export async function startLibvirtNetns(name: string, dir: string): Promise<LibvirtNetns> {
  // Mount points that must exist on the machine for the mounts over them; made empty if missing,
  // and removed again at the end if they still are.
  const made = LIBVIRT_PATHS.filter((p) => !existsSync(p));
  for (const p of made) mkdirSync(p, { recursive: true });
  const state = (p: string) => join(dir, p.replaceAll("/", "_").slice(1));
  for (const p of LIBVIRT_PATHS) mkdirSync(state(p), { recursive: true });
  // QEMU runs as root (Debian's libvirt-qemu user comes with libvirt-daemon-system, which the test
  // does not need), with no sVirt labels: the VMs' disks and the box's kernel are root's files.
  writeFileSync(join(state("/etc/libvirt"), "qemu.conf"), 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n');
  writeFileSync(join(state("/etc/libvirt"), "libvirtd.conf"), "");
  writeFileSync(join(state("/etc/libvirt"), "virtlogd.conf"), "");

  const nsPids = async () => (await run("ip", ["netns", "pids", name], { allowFailure: true })).stdout.split(/\s+/).filter(Boolean).map(Number);
  await run("ip", ["netns", "add", name]);
  await run("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  const mounts = LIBVIRT_PATHS.map((p) => `mount --bind '${state(p)}' '${p}'`).join(" && ");
  // The anchor: holds the mount namespace while the test runs; libvirtd and virtlogd daemonize in it.
  const anchor = spawn("ip", ["netns", "exec", name, "unshare", "--mount", "--propagation", "private", "sh", "-c", `set -e; ${mounts}; virtlogd -d; libvirtd -d; exec sleep infinity`], {
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  anchor.unref();
  const pid = await waitFor("the namespace's anchor process", 10_000, async () => (await nsPids()).find((p) => cmdline(p) === "sleep infinity"));
  const enter = (cwd?: string) => ["-t", String(pid), "-m", "-n", ...(cwd ? [`--wd=${cwd}`] : [])];
  const ns: LibvirtNetns = {
    name,
    exec: (cmd, args, opts = {}) => run("nsenter", [...enter(opts.cwd), cmd, ...args], opts),
    spawn(cmd, args, log) {
      const child = spawn("sh", ["-c", `exec nsenter ${enter().join(" ")} "$@" >>'${log}' 2>&1`, "sh", cmd, ...args], { stdio: "ignore", detached: true });
      child.unref();
    },
    async stop() {
      // Everything in the namespace: libvirtd, virtlogd, dnsmasq, QEMU, the anchor, what the test started.
      for (let i = 0; i < 20; i++) {
        const live = (await nsPids()).filter(alive);
        if (live.length === 0) break;
        await run("kill", [i < 5 ? "-TERM" : "-KILL", ...live.map(String)], { allowFailure: true });
        await sleep(500);
      }
      await run("ip", ["netns", "del", name], { allowFailure: true });
      for (const p of made.reverse()) {
        if (existsSync(p) && readdirSync(p).length === 0) rmdirSync(p);
      }
    },
  };
  try {
    await waitFor("libvirtd in the namespace", 30_000, async () => ((await ns.exec("virsh", ["-c", "qemu:///system", "version"], { allowFailure: true })).code === 0 ? true : undefined));
  } catch (e) {
    await ns.stop();
    throw e;
  }
  return ns;
}
