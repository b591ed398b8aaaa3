#!/usr/bin/env node
// Agent figures. (1) A full reconcile of 1000 synthetic peer records on this machine: validate,
// render, write (first pass: every file new; then a pass with nothing to change). (2) On a lab of
// 3 provisioned hosts: an etcd put of a new peer → its BIRD peer file written and `birdc configure`
// done on another node, p50/p99 over RUNS puts (timed on that node, no SSH in the measurement);
// (3) the agent's RSS at rest. Needs root and a built CLI (npm run build). --local-only skips (2) and (3).
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { parseConfig } = await import(join(root, "dist/agent/config.js"));
const { parseSnapshot } = await import(join(root, "dist/agent/record.js"));
const { desiredState } = await import(join(root, "dist/agent/desired-files.js"));
const { writeChanged } = await import(join(root, "dist/agent/write-files.js"));
const { agentPaths, isAgentOwned } = await import(join(root, "dist/agent/paths.js"));
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

// (1) 1000 peers
{
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "pkcs1", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } }).publicKey;
  const entries = [];
  for (let i = 0; i < 1000; i++) {
    const a = `10.${1 + Math.floor(i / 250)}.${i % 250}.1`;
    entries.push([`/peers/n${i}`, JSON.stringify({ name: `n${i}`, meshAddress: a, routerId: a, tincPublicKey: pem, endpoint: { address: `192.0.2.${1 + (i % 250)}`, port: 655 }, prefixes: [], version: 1 })]);
  }
  const dir = mkdtempSync(join(tmpdir(), "bgpmesh-agent-bench-"));
  const config = parseConfig(JSON.stringify({ name: "n0", meshName: "bgpmesh", meshAddress: "10.1.0.1", routerId: "10.1.0.1", endpointAddress: "192.0.2.1", etcdEndpoints: ["http://127.0.0.1:2379"] }), "bench");
  const paths = agentPaths(config);
  const pass = () => {
    const t = process.hrtime.bigint();
    const { peers } = parseSnapshot(entries);
    const tParse = ms(t);
    const desired = desiredState(config, peers);
    const tRender = ms(t) - tParse;
    const res = writeChanged(desired.files, { root: dir, owned: (p) => isAgentOwned(paths, p), removeStale: [paths.hostsDir] });
    return { total: ms(t), parse: tParse, render: tRender, written: res.changed.length };
  };
  const first = pass();
  const steady = [];
  for (let i = 0; i < 5; i++) steady.push(pass());
  console.log(`reconcile, 1000 peers, first pass (1001 files written): ${first.total.toFixed(0)} ms (validate ${first.parse.toFixed(0)} ms, render ${first.render.toFixed(0)} ms)`);
  console.log(`reconcile, 1000 peers, nothing to change: median ${pct(steady.map((s) => s.total), 50).toFixed(0)} ms (written: ${steady[0].written})`);
  rmSync(dir, { recursive: true, force: true });
}

if (!process.argv.includes("--local-only")) {
  const CLI = join(root, "dist/cli.js");
  const LAB = "bench-agent";
  const RUNS = Number(process.env.RUNS ?? 30);
  const cli = (...args) => execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    cli("lab", "up", "--name", LAB, "--hosts", "3");
    const inv = `/var/lib/bgpmesh/lab/${LAB}/inventory.yml`;
    const applied = spawnSync(process.execPath, [CLI, "apply", "-i", inv], { encoding: "utf8" });
    if (applied.status !== 0) throw new Error(applied.stdout + applied.stderr);
    cli("verify", "-i", inv, "--wait", "60s");
    // Timed on node2: put a record through etcd, wait for its BIRD protocol to exist (the file
    // written, checked and `birdc configure` done), delete it, wait for it to go.
    const script = `
set -e
# as the cluster's administrator: a node may write only its own record
export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://127.0.0.1:2379 ETCDCTL_CACERT=/etc/bgpmesh/pki/ca.crt ETCDCTL_CERT=/etc/bgpmesh/pki/root.crt ETCDCTL_KEY=/etc/bgpmesh/pki/root.key
pem=$(awk '{printf "%s\\\\n", $0}' /etc/tinc/bgpmesh/rsa_key.pub)
for i in $(seq 1 ${RUNS}); do
  rec="{\\"name\\":\\"bench$i\\",\\"meshAddress\\":\\"10.0.0.$((199 + i % 50))\\",\\"routerId\\":\\"10.9.9.$i\\",\\"tincPublicKey\\":\\"$pem\\",\\"endpoint\\":{\\"address\\":\\"192.0.2.9\\",\\"port\\":655},\\"prefixes\\":[],\\"version\\":1}"
  # the node's allocation first, as the controller would publish it (agents take no peer without one)
  etcdctl put /allocations/bench$i "{\\"version\\":1,\\"name\\":\\"bench$i\\",\\"meshAddress\\":\\"10.0.0.$((199 + i % 50))\\",\\"routerId\\":\\"10.9.9.$i\\",\\"prefixes\\":[]}" >/dev/null
  sleep 0.2
  t0=$(date +%s%N)
  etcdctl put /peers/bench$i "$rec" >/dev/null
  until birdc -r show protocols peer_bench$i 2>/dev/null | grep -q peer_bench$i; do sleep 0.002; done
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 ))"
  etcdctl del /peers/bench$i >/dev/null
  etcdctl del /allocations/bench$i >/dev/null
  while birdc -r show protocols peer_bench$i 2>/dev/null | grep -q peer_bench$i; do sleep 0.002; done
done`;
    const ssh = (input) => execFileSync("ssh", ["-F", `/var/lib/bgpmesh/lab/${LAB}/ssh_config`, "node2", "sh", "-s"], { input, encoding: "utf8" });
    const out = ssh(script);
    const lat = out.trim().split("\n").map((l) => Number(l) / 1000);
    console.log(`etcd put of a new peer → BIRD peer configured on another node: p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms (${lat.length} puts)`);
    await new Promise((r) => setTimeout(r, 20_000)); // at rest: after the puts have settled
    const rss = ssh("grep VmRSS /proc/$(systemctl show -p MainPID --value bgpmesh-agent)/status");
    console.log(`agent RSS at rest: ${rss.trim().replace(/\s+/g, " ")}`);
  } finally {
    try {
      cli("lab", "down", "--name", LAB);
    } catch {}
  }
}
