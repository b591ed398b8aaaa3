#!/usr/bin/env node
// The chaos suite, longer: N lab hosts (default 6, --hosts N), the shipped site with every node
// announcing a /24, a traffic probe on every host (ping every other node every 0.2 s, BIRD's
// routes and sessions sampled every 0.2 s), then --faults K faults (default 30) of random kinds
// on random hosts (--seed S makes the sequence repeatable; --kinds a,b limits the kinds), each held
// --hold seconds (default 20) and healed. Prints each fault as it ends and then the report: per
// kind, seconds from the heal to `verify` converged (p50/max), pings lost between the pairs the
// fault cuts by design and between all others, flap samples and reloads left owed.
// Needs root and a built CLI (npm run build). --keep leaves the lab up; --name sets its name.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const { FAULT_KINDS, etcdLeader, makeFault, prepareChaos } = await import(join(root, "dist/chaos/faults.js"));
const { MeshProbe } = await import(join(root, "dist/chaos/probe.js"));
const { chaosReport, runFault } = await import(join(root, "dist/chaos/run.js"));

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const N = Number(opt("--hosts", 6));
const FAULTS = Number(opt("--faults", 30));
const HOLD = Number(opt("--hold", 20));
const LAB = opt("--name", "bench-chaos");
const KINDS = opt("--kinds", FAULT_KINDS.join(",")).split(",");
let seed = Number(opt("--seed", Date.now() % 100000));
const SEED = seed;
// A small repeatable generator (mulberry32): --seed gives the same faults on the same hosts.
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const exec = promisify(execFile);
const cli = (...a) => exec(process.execPath, [join(root, "dist/cli.js"), ...a], { maxBuffer: 64 << 20 });
const say = (line) => console.log(line);

const t0 = Date.now();
await cli("lab", "down", "--name", LAB).catch(() => undefined);
await cli("lab", "up", "--name", LAB, "--hosts", String(N));
const status = JSON.parse((await cli("lab", "status", "--name", LAB, "--json")).stdout);
const lab = status.lab;
const hosts = status.hosts.map((h) => ({ name: h.name, address: h.address }));
const meshAddress = (i) => `10.0.0.${11 + i}`;
const prefix = (i) => `192.168.${111 + i}.0/24`;
const work = mkdtempSync(join(tmpdir(), "bgpmesh-chaos-"));
const inventory = join(work, "inventory.yml");
writeFileSync(
  inventory,
  `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${lab.dir}/id_ed25519\n    bgpmesh_known_hosts: ${lab.knownHostsFile}\n` +
    `  children:\n    mesh:\n      hosts:\n${hosts.map((h, i) => `        ${h.name}: { ansible_host: ${h.address}, mesh_address: ${meshAddress(i)}, bgp_announce: [${prefix(i)}] }`).join("\n")}\n` +
    `    etcd:\n      hosts:\n        node1:\n        node2:\n        node3:\n`,
);
const chaosLab = { name: LAB, sshConfigFile: lab.sshConfigFile, hosts, etcd: ["node1", "node2", "node3"] };
const targets = hosts.map((h, i) => ({ name: h.name, meshAddress: meshAddress(i), prefixes: [prefix(i)] }));

try {
  await cli("apply", "-i", inventory, "--no-color");
  const v = await cli("verify", "-i", inventory, "--wait", "120s", "--no-color");
  say(`lab ${LAB}: ${N} hosts up and converged in ${((Date.now() - t0) / 1000).toFixed(0)} s (${v.stdout.trim().split("\n").at(-1)}); seed ${SEED}`);
  await prepareChaos(chaosLab);
  const probe = new MeshProbe(chaosLab, targets);
  probe.start();
  await new Promise((r) => setTimeout(r, 5000));
  const results = [];
  const names = hosts.map((h) => h.name);
  for (let i = 0; i < FAULTS; i++) {
    const kind = pick(KINDS);
    let victims;
    if (kind === "etcd-leader-kill") victims = [await etcdLeader(chaosLab)];
    else if (kind === "etcd-kill") victims = [pick(chaosLab.etcd)];
    else if (kind === "partition-pair") {
      const a = pick(names);
      victims = [a, pick(names.filter((n) => n !== a))];
    } else if (kind === "split") victims = [...names].sort(() => random() - 0.5).slice(0, Math.floor(N / 2));
    else victims = [pick(names)];
    const r = await runFault(chaosLab, inventory, probe, targets, makeFault(chaosLab, kind, victims, HOLD), { verifyWaitSeconds: 180 });
    results.push(r);
    const other = [...r.lostOther].map(([p, n]) => `${p}:${n}`).join(" ") || "0";
    say(
      `#${i + 1} ${kind} on ${victims.join(",")}: held ${r.heldSeconds} s, ${r.reconvergeSeconds === undefined ? "NOT converged" : `converged ${r.reconvergeSeconds} s after the heal`}, ` +
        `pings lost ${r.lostExcused} cut / ${other} other, flap samples ${r.routeSamplesMissing + r.sessionSamplesDown}${r.firstMissing ? ` (first: ${r.firstMissing})` : ""}, owed ${r.owed.join(",") || "none"}`,
    );
  }
  probe.stop();
  say(`\n${FAULTS} faults on ${N} hosts, held ${HOLD} s each, seed ${SEED}:\n${chaosReport(results)}`);
  say(`probe: ${probe.pings.length} pings, ${probe.routes.length} route samples; whole run ${((Date.now() - t0) / 60000).toFixed(1)} min`);
} finally {
  if (!args.includes("--keep")) await cli("lab", "down", "--name", LAB).catch(() => undefined);
}
