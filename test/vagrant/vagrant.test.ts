// The README's Vagrant section, run as written on real VMs: three Debian 12 VMs of the shipped
// vagrant/Vagrantfile booted by Vagrant and libvirt under QEMU's software emulation (these machines
// have no usable KVM), from the box `bgpmesh-provision lab box` makes of the lab's image (Debian's
// box cannot be downloaded here). Then `apply -i inventory/vagrant.yml`, `verify --wait`, a second
// apply that changes nothing, and a VM destroyed and brought up again showing the same pinned host
// key, which the tool's strict host key checking accepts. libvirt, the VMs' networks and every SSH
// connection stay in a network namespace of the test's own (libvirt-netns.ts); the VMs install
// their packages from the lab's apt repository, served in that namespace. `npm run test:vagrant`;
// not part of `npm test`: it takes about 15 minutes on 2 cores (figures at the end of the run).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAptRepo } from "../../src/lab/apt-repo.js";
import { ensureImage } from "../../src/lab/image.js";
import { boxName } from "../../src/lab/vagrant-box.js";
import type { RunResult } from "../../src/util/exec.js";
import { projectFile } from "../../src/util/project.js";
import { stopwatch } from "../../src/util/time.js";
import { BIN, cliOk } from "../helpers/cli.js";
import { startLibvirtNetns, type LibvirtNetns } from "./libvirt-netns.js";

const NS = "bgpmesh-vagrant";
// vagrant-libvirt's management network, where the VMs find the apt repository (the box's source).
const REPO_URL = "http://192.168.121.1:8000";
const NODES = { node1: "192.168.56.11", node2: "192.168.56.12", node3: "192.168.56.13" };

let ns: LibvirtNetns;
let work: string;
let checkout: string;
const figures: [string, number][] = [];

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const took = stopwatch();
  const value = await f();
  figures.push([what, took()]);
  return value;
}

/** What the README's commands run with here: Vagrant's state in the test's folder, the local box, emulation. */
const env = () => ({
  ...process.env,
  VAGRANT_HOME: join(work, "vagrant.d"),
  VAGRANT_DEFAULT_PROVIDER: "libvirt",
  BGPMESH_VAGRANT_BOX: boxName("bookworm"),
  BGPMESH_VAGRANT_LIBVIRT_DRIVER: "qemu",
});

function checked(what: string, r: RunResult): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout + r.stderr;
}
/** A command in the namespace, in `cwd`; its output, or an error with the end of it. */
async function ok(cmd: string, args: string[], cwd: string, timeoutMs = 1_500_000): Promise<string> {
  return checked(`${cmd} ${args.join(" ")} (in ${cwd})`, await ns.exec(cmd, args, { cwd, env: env(), allowFailure: true, timeoutMs }));
}
const vagrant = (...args: string[]) => ok("vagrant", args, join(checkout, "vagrant"));
const tool = (...args: string[]) => ok(process.execPath, [BIN, ...args], checkout);
// The key a VM's sshd shows at the private address. 30 s: after a VM is rebuilt, the machine's
// neighbour entry for its address still names the old VM's MAC until the kernel gives up on it
// (about 10 s), and ssh-keyscan's own 5 s were not enough.
const hostKey = async (ip: string) =>
  (await ok("ssh-keyscan", ["-T", "30", "-t", "ed25519", ip], work))
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .join("\n");

describe("vagrant/Vagrantfile on real VMs (libvirt, QEMU software emulation)", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "bgpmesh-vagrant-"));
    // The repository's vagrant/ and inventory/ as a user's checkout has them: .vagrant/, .hostkeys/
    // and known_hosts are made there, not in the repository.
    checkout = join(work, "checkout");
    mkdirSync(join(checkout, "inventory"), { recursive: true });
    cpSync(projectFile("vagrant"), join(checkout, "vagrant"), { recursive: true, filter: (src) => !/\/(\.vagrant|\.hostkeys|known_hosts)/.test(src.slice(projectFile("vagrant").length)) });
    cpSync(projectFile("inventory/vagrant.yml"), join(checkout, "inventory/vagrant.yml"));

    // Outside the namespace: it downloads Debian's kernel package.
    const box = join(work, "bgpmesh-bookworm64.box");
    const build = ["lab", "box", "--release", "bookworm", "--out", box, "--apt-repo", REPO_URL];
    await timed("box build (lab box)", () => cliOk(...build));
    ns = await startLibvirtNetns(NS, join(work, "libvirt"));
    const repo = await ensureAptRepo(await ensureImage("bookworm", () => undefined), () => undefined);
    ns.spawn(process.execPath, [projectFile("dist/lab/repo-server.js"), "0.0.0.0", "8000", `bookworm=${repo.dir}`], join(work, "repo.log"));
    await ok("vagrant", ["box", "add", "--name", boxName("bookworm"), box], work);
  }, 900_000);

  afterAll(async () => {
    if (ns) {
      await ns.exec("vagrant", ["destroy", "-f"], { cwd: join(checkout, "vagrant"), env: env(), allowFailure: true, timeoutMs: 300_000 });
      await ns.stop();
    }
    console.log(`vagrant figures (QEMU software emulation, this machine):\n${figures.map(([w, s]) => `  ${w}: ${s.toFixed(1)} s`).join("\n")}`);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 600_000);

  it("vagrant up boots the three VMs and pins each one's host key", async () => {
    const out = await timed("vagrant up, 3 VMs", () => vagrant("up"));
    for (const name of Object.keys(NODES)) expect(out).toContain(`==> ${name}: Machine booted and ready!`);
    const known = readFileSync(join(checkout, "vagrant/known_hosts"), "utf8");
    for (const [name, ip] of Object.entries(NODES)) {
      const pinned = readFileSync(join(checkout, "vagrant/.hostkeys", `${name}_ed25519.pub`), "utf8").split(/\s+/).slice(0, 2).join(" ");
      expect(known).toContain(`${ip} ${pinned}`);
      expect(await hostKey(ip)).toBe(`${ip} ${pinned}`);
    }
  });

  it("apply -i inventory/vagrant.yml sets up the mesh, and verify --wait sees it converged", async () => {
    const out = await timed("first apply", () => tool("apply", "-i", "inventory/vagrant.yml"));
    expect(out).toMatch(/3 of 3 hosts ok/);
    const verify = await timed("verify --wait (converged)", () => tool("verify", "-i", "inventory/vagrant.yml", "--wait", "300s"));
    expect(verify).toContain("etcd: 3 of 3 members healthy");
    expect(verify).toMatch(/^converged/m);
  });

  it("a second apply changes nothing", async () => {
    const report = join(work, "second.json");
    await timed("second apply (no change)", () => tool("apply", "-i", "inventory/vagrant.yml", "--json", report));
    const r = JSON.parse(readFileSync(report, "utf8")) as { hosts: { host: string; status: string; changed: number }[] };
    expect(r.hosts.map((h) => [h.host, h.status, h.changed])).toEqual(Object.keys(NODES).map((n) => [n, "ok", 0]));
  });

  it("vagrant destroy then vagrant up brings the VM back with the same host key, which the tool accepts", async () => {
    const before = await hostKey(NODES.node3);
    await timed("vagrant destroy + up, node3", async () => {
      await vagrant("destroy", "-f", "node3");
      await vagrant("up", "node3");
    });
    expect(await hostKey(NODES.node3)).toBe(before);
    // Strict host key checking, nothing accepted anew: the plan for the rebuilt VM (all of the site).
    const plan = await tool("apply", "--check", "-i", "inventory/vagrant.yml", "-l", "node3", "-T", "30");
    expect(plan).toMatch(/node3 +unchanged=0 +to change=[1-9]/);
  });
});
