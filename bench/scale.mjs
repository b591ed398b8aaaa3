#!/usr/bin/env node
// The mesh at scale, end to end on lab hosts: N hosts (default 100, --hosts N), the shipped site,
// two route reflectors (--full-mesh: none), every node announcing a /28. Prints: lab up, first
// apply, seconds from the apply's end to `verify` converged, the idle machine's CPU over 30 s and
// per daemon (tincd, bird, the agent, etcd; summed over the lab's hosts), a no-change apply, a
// client powered off → its route gone from sampled nodes, and a new node applied alone → all its
// sessions Established. Goals on a 2-core machine: converged ≤ 120 s after the apply, idle ≤ 30%
// of the 2 cores, no-change apply ≤ 15 s. Needs root and a built CLI (npm run build). --keep
// leaves the lab up; --reuse runs on the lab an earlier --keep left.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const N = Number(opt("--hosts", 100));
const FULL = args.includes("--full-mesh");
const REUSE = args.includes("--reuse");
const LAB = opt("--name", "bench-scale");
const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist/cli.js");
const work = mkdtempSync(join(tmpdir(), "bgpmesh-scale-"));
const exec = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e9;
const say = (line) => console.log(line);
const cli = (...a) => exec(process.execPath, [CLI, ...a, ...(a[0] === "lab" ? [] : ["--no-color"])], { maxBuffer: 64 << 20 }).catch((e) => e);
const timed = async (label, ...a) => {
  const t = now();
  const r = await cli(...a);
  const s = now() - t;
  if (r.code && r.code !== 0) {
    const log = join(tmpdir(), `bgpmesh-scale-${label.replace(/\W+/g, "-")}.log`);
    writeFileSync(log, `${r.stdout ?? ""}\n${r.stderr ?? ""}`);
    const failed = (r.stdout ?? "").split("\n").filter((l) => /FAILED|failed=[1-9]|unreachable=[1-9]/.test(l)).length;
    throw new Error(`${label} failed (exit ${r.code}), ${failed} host line(s) failed or unreachable; whole output: ${log}\n${(r.stdout ?? "").slice(-1500)}`);
  }
  return { seconds: s, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

const index = (h) => Number(h.replace("node", ""));
const prefix = (h) => `100.${64 + Math.floor((index(h) - 1) / 16)}.${((index(h) - 1) % 16) * 16}.0/28`;
const REFLECTORS = ["node4", "node5"];

let lab;
function inventory(count) {
  const hosts = lab.hosts.slice(0, count);
  const rr = FULL ? "" : `    route_reflectors:\n      hosts:\n${REFLECTORS.map((h) => `        ${h}:`).join("\n")}\n`;
  const file = join(work, `inventory-${count}.yml`);
  writeFileSync(
    file,
    `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${lab.dir}/id_ed25519\n    bgpmesh_known_hosts: ${lab.knownHostsFile}\n` +
      `  children:\n    mesh:\n      hosts:\n${hosts.map((h) => `        ${h.name}: { ansible_host: ${h.address}, bgp_announce: [${prefix(h.name)}] }`).join("\n")}\n` +
      `    etcd:\n      hosts:\n        node1:\n        node2:\n        node3:\n${rr}`,
  );
  return file;
}
const ssh = (host, command) => exec("ssh", ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", host, command], { maxBuffer: 16 << 20 }).then((r) => r.stdout);

/** CPU seconds (user + system) of the lab's processes by name, and the machine's busy and total jiffies. */
function cpuSnapshot() {
  const tick = 100; // USER_HZ on Linux
  const byName = {};
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(`/bgpmesh-lab/${LAB}/`)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = comm === "node" || comm.startsWith("bgpmesh") ? "agent (node)" : comm;
      byName[name] = (byName[name] ?? 0) + (Number(f[11]) + Number(f[12])) / tick;
    } catch {}
  }
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  const total = cpu.reduce((a, b) => a + b, 0);
  return { byName, busy: total - idle, total };
}

async function verifyConverged(file, limitSeconds) {
  const t = now();
  const r = await cli("verify", "-i", file, "--wait", `${limitSeconds}s`);
  return { ok: (r.code ?? 0) === 0, seconds: now() - t, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

try {
  say(`scale bench: ${N} hosts, ${FULL ? "full mesh" : `route reflectors ${REFLECTORS.join(", ")}`}, lab ${LAB}`);
  // --reuse: the lab of an earlier --keep run, as it is (its "first apply" then finishes that run's).
  if (!REUSE) await cli("lab", "down", "--name", LAB);
  const up = await timed("lab up", "lab", "up", "--name", LAB, "--hosts", String(N + 1));
  const statusOut = (await cli("lab", "status", "--name", LAB, "--json")).stdout;
  const status = JSON.parse(statusOut.slice(statusOut.indexOf("{")));
  lab = { ...status.lab, hosts: status.hosts };
  say(`lab up (${N + 1} hosts: ${N} + 1 to join later): ${up.seconds.toFixed(1)} s`);
  // The last host joins later; power it off until then.
  const joiner = lab.hosts[N].name;
  await ssh(joiner, "systemctl poweroff").catch(() => undefined);

  const file = inventory(N);
  // The default --forks (16): the first apply installs packages, and 32 hosts doing so at once on
  // 2 cores left sshd on the hosts still waiting unable to answer within the 60 s connect timeout.
  const first = await timed("first apply", "apply", "-i", file, "-T", "60");
  say(`first apply of ${N} hosts: ${first.seconds.toFixed(1)} s`);
  const conv = await verifyConverged(file, 600);
  say(`apply end → verify converged: ${conv.ok ? `${conv.seconds.toFixed(1)} s` : `NOT converged after ${conv.seconds.toFixed(0)} s`}`);
  if (!conv.ok) say(conv.out.split("\n").filter((l) => /:/.test(l)).slice(-15).join("\n"));

  await sleep(20_000); // let the first key renewals and ARP settle
  const a = cpuSnapshot();
  await sleep(30_000);
  const b = cpuSnapshot();
  const busy = (100 * (b.busy - a.busy)) / (b.total - a.total);
  say(`idle mesh, 30 s: machine ${busy.toFixed(1)}% of all cores busy`);
  for (const name of Object.keys(b.byName).sort()) {
    const sec = b.byName[name] - (a.byName[name] ?? 0);
    if (sec < 0.05) continue;
    say(`  ${name.padEnd(14)} ${((100 * sec) / 30).toFixed(1)}% of one core in all, ${((1000 * sec) / 30 / N).toFixed(2)} ms/s per host`);
  }

  const times = [];
  for (let i = 0; i < 3; i++) {
    const r = await timed("no-change apply", "apply", "-i", file, "-f", "32", "-T", "60");
    if (/changed=[1-9]/.test(r.out)) say(`  (run ${i + 1} changed something)`);
    times.push(r.seconds);
  }
  say(`no-change apply of ${N} hosts: ${times.map((t) => t.toFixed(1)).join(" s, ")} s`);

  // A client powered off: its route gone from a sample of nodes (reflectors and clients).
  const victim = lab.hosts[N - 1].name;
  const watchers = ["node1", "node4", "node5", lab.hosts[Math.floor(N / 2)].name, lab.hosts[N - 2].name];
  await ssh(victim, "systemctl poweroff").catch(() => undefined);
  const t0 = now();
  let gone = -1;
  while (now() - t0 < 30) {
    const left = await Promise.all(watchers.map((h) => ssh(h, `ip route show ${prefix(victim)}`)));
    if (left.every((l) => l.trim() === "")) {
      gone = now() - t0;
      break;
    }
    await sleep(200);
  }
  say(`${victim} powered off → its route gone from ${watchers.join(", ")}: ${gone < 0 ? "NOT within 30 s" : `${gone.toFixed(2)} s`}`);

  // A new node applied alone.
  await cli("lab", "up", "--name", LAB, "--hosts", String(N + 1));
  const bigger = inventory(N + 1);
  const joined = await timed("apply of the new node", "apply", "-i", bigger, "-l", joiner, "-T", "60");
  const tj = now();
  const want = FULL ? N : REFLECTORS.length;
  let established = 0;
  while (now() - tj < 120) {
    established = Number((await ssh(joiner, "birdc -r show protocols | grep -c Established || true")).trim());
    if (established >= want) break;
    await sleep(250);
  }
  say(`new node ${joiner} applied alone: apply ${joined.seconds.toFixed(1)} s, then ${established}/${want} sessions Established after ${(now() - tj).toFixed(1)} s`);
} finally {
  if (!args.includes("--keep")) await cli("lab", "down", "--name", LAB);
  rmSync(work, { recursive: true, force: true });
}
