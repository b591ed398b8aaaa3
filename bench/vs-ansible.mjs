#!/usr/bin/env node
// The shipped site against Ansible, side by side on this machine: two labs of N hosts (HOSTS,
// default 3), one provisioned by `bgpmesh-provision apply`, the other by `ansible-playbook` running
// ../shared/anchors/ansible/site.yml (ANSIBLE_ANCHOR to point elsewhere), a smaller job: plain
// etcd, tinc and BIRD, no pki, agent or exporter. First a first run of each on fresh hosts, then
// RUNS (default 5) alternating no-change runs of each; prints each run, the medians and the ratio.
// Whole processes are timed, start-up included. Needs root and a built CLI (npm run build); installs
// Debian's ansible-core on this machine when ansible-playbook is missing, and python3-apt (which
// Ansible's apt module needs) on the Ansible lab's hosts from the lab's repository, before timing.
// KEEP=1 leaves both labs up.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = new URL("..", import.meta.url).pathname;
// The CLI as an installed package runs it: package.json's bin (the bundle).
const CLI = join(root, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).bin["bgpmesh-provision"]);
const ANCHOR = resolve(process.env.ANSIBLE_ANCHOR ?? join(root, "../shared/anchors/ansible"));
const HOSTS = Number(process.env.HOSTS ?? 3);
const RUNS = Number(process.env.RUNS ?? 5);
const SITE_LAB = "bench-site";
const ANSIBLE_LAB = "bench-ansible";
const work = mkdtempSync(join(tmpdir(), "bgpmesh-vs-ansible-"));

const cli = (...args) => execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${s.toFixed(2)} s`;

function timed(argv, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, code: r.status, out: `${r.stdout}${r.stderr}` };
}

function labUp(name) {
  cli("lab", "up", "--name", name, "--hosts", String(HOSTS));
  return JSON.parse(cli("lab", "status", "--name", name, "--json"));
}

if (!existsSync(join(ANCHOR, "site.yml"))) throw new Error(`no Ansible anchor at ${ANCHOR} (set ANSIBLE_ANCHOR)`);
if (spawnSync("ansible-playbook", ["--version"]).status !== 0) {
  console.log("installing Debian's ansible-core on this machine");
  execFileSync("apt-get", ["install", "-q", "-y", "--no-install-recommends", "ansible-core"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
const ansibleVersion = execFileSync("ansible-playbook", ["--version"], { encoding: "utf8" }).split("\n")[0];

try {
  const site = labUp(SITE_LAB);
  const ans = labUp(ANSIBLE_LAB);
  const siteInventory = site.lab.inventoryFile;
  const ansibleInventory = join(work, "ansible-inventory.yml");
  writeFileSync(
    ansibleInventory,
    `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${ans.lab.keyFile}\n  hosts:\n` +
      ans.hosts.map((h, i) => `    ${h.name}: { ansible_host: ${h.address}, mesh_ip: 10.99.0.${i + 1} }`).join("\n") +
      "\n",
  );
  // Not timed: what Ansible's apt module needs on its targets. The lab's repository does not serve
  // python3-apt: Debian's packages, downloaded here (this machine runs the hosts' release), go over.
  const debs = join(work, "debs");
  mkdirSync(debs);
  execFileSync("apt-get", ["download", "-q", "python3-apt", "python-apt-common", "distro-info-data"], { cwd: debs, stdio: "ignore" });
  for (const h of ans.hosts) {
    const ssh = ["-F", ans.lab.sshConfigFile];
    execFileSync("scp", ["-q", ...ssh, ...readdirSync(debs).map((f) => join(debs, f)), `${h.name}:/tmp/`]);
    // The playbook updates apt's lists only when they are older than its cache_valid_time (1 h),
    // judged by their folder's time: on a lab image built within the hour it would skip the update,
    // never see the lab's repository and fail. Dated back, the first run updates, as the site's does.
    execFileSync("ssh", [...ssh, h.name, "dpkg -i /tmp/*.deb >/dev/null && rm -f /tmp/*.deb /var/lib/apt/periodic/update-success-stamp && touch -d @0 /var/lib/apt/lists"]);
  }

  const runSite = () => timed([process.execPath, CLI, "apply", "-i", siteInventory, "--no-color"]);
  const runAnsible = () => timed(["ansible-playbook", "-i", ansibleInventory, join(ANCHOR, "site.yml")], { ANSIBLE_CONFIG: join(ANCHOR, "ansible.cfg") });
  const check = (what, r, noChange) => {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.out.slice(-4000)}`);
    // Both recaps print changed=N per host.
    if (noChange && /changed=[1-9]/.test(r.out)) throw new Error(`${what} was not a no-change run:\n${r.out.slice(-4000)}`);
  };

  console.log(`${HOSTS} hosts per lab; ${ansibleVersion}; bgpmesh-provision at ${execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()}`);
  const firstSite = runSite();
  check("the site's first apply", firstSite, false);
  const firstAnsible = runAnsible();
  check("the playbook's first run", firstAnsible, false);
  console.log(`first run on fresh hosts: site ${fmt(firstSite.seconds)}, Ansible ${fmt(firstAnsible.seconds)}`);

  const siteTimes = [];
  const ansibleTimes = [];
  // The first apply left the agents to finish the mesh: one more run settles anything they owed.
  check("the site's second apply", runSite(), false);
  check("the playbook's second run", runAnsible(), false);
  for (let i = 0; i < RUNS; i++) {
    const s = runSite();
    check("a no-change apply", s, true);
    siteTimes.push(s.seconds);
    const a = runAnsible();
    check("a no-change playbook run", a, true);
    ansibleTimes.push(a.seconds);
    console.log(`no-change run ${i + 1}: site ${fmt(s.seconds)}, Ansible ${fmt(a.seconds)}`);
  }
  const ms = median(siteTimes);
  const ma = median(ansibleTimes);
  console.log(`no-change, median of ${RUNS}: site ${fmt(ms)}, Ansible ${fmt(ma)}: the site is ${(ma / ms).toFixed(1)}× faster (goal ≥ 10×)`);
} finally {
  if (process.env.KEEP !== "1") {
    for (const name of [SITE_LAB, ANSIBLE_LAB]) {
      try {
        cli("lab", "down", "--name", name);
      } catch {}
    }
  }
  rmSync(work, { recursive: true, force: true });
}
