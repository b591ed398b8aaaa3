#!/usr/bin/env node
// What a join costs a route reflector: BIRD 2 with the shipped bird.conf and the agent's peers.conf
// of a reflector with N clients (one static `protocol bgp` each, its allocation as its import
// filter, the filter bgpmesh_reflected over every node), then one more client added and
// `birdc configure` timed (parse + reconfigure), median of RUNS. Also `bird -p -c` (the agent's
// check before every write) and BIRD's RSS. Runs BIRD in a network namespace of its own with a
// veth named tinc0 (the peers stay in Connect/Active: no session is needed to time a reconfiguration).
// Needs root, bird2 on this machine, and a built CLI (npm run build).
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { parseConfig } = await import(join(root, "dist/agent/config.js"));
const { parseRecord } = await import(join(root, "dist/agent/record.js"));
const { planSessions, renderPeersFile } = await import(join(root, "dist/agent/bgp-sessions.js"));
const nunjucks = (await import("nunjucks")).default;
const RUNS = 7;
const NS = "bmbench-bird";
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const counts = sizes.length ? sizes : [100, 200];

const addr = (i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const pem = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "pkcs1", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } }).publicKey;
const record = (i) => parseRecord(`/peers/n${i}`, JSON.stringify({ name: `n${i}`, meshAddress: addr(i), routerId: addr(i), tincPublicKey: pem, endpoint: { address: `192.0.2.${(i % 250) + 1}`, port: 655 }, prefixes: [], version: 1 })).record;
const allocation = (i) => ({ version: 1, name: `n${i}`, meshAddress: addr(i), routerId: addr(i), prefixes: [{ prefix: `100.${64 + Math.floor(i / 256)}.${i % 256}.0/24`, ge: 24, le: 28 }], ...(i < 2 && { routeReflectorClusterId: "0.0.0.1" }) });

const dir = mkdtempSync(join(tmpdir(), "bgpmesh-bird-bench-"));
const sock = join(dir, "bird.ctl");
const sh = (cmd) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });
const config = parseConfig(JSON.stringify({ name: "n0", meshName: "bgpmesh", meshAddress: addr(0), routerId: addr(0), endpointAddress: "192.0.2.1", etcdEndpoints: ["https://127.0.0.1:2379"], etcdTls: { caFile: "/x/ca", certFile: "/x/c", keyFile: "/x/k" }, requireAllocations: true }), "bench");
mkdirSync(join(dir, "peers.d"));
const template = readFileSync(join(root, "templates/bird/bird.conf.njk"), "utf8");
const birdConf = nunjucks
  .renderString(template, { inventory_hostname: "n0", tinc_name: "n0", router_id: addr(0), mesh_interface: "tinc0", bgp_announce: ["100.64.0.0/24"], bird_bfd: true, mesh_address: addr(0), bgp_as: 65000 })
  .replace("/etc/bird/peers.d/*.conf", join(dir, "peers.d/*.conf"));
writeFileSync(join(dir, "bird.conf"), birdConf);
const writePeers = (n) => {
  const peers = Array.from({ length: n }, (_, i) => record(i + 1));
  const allocations = new Map(Array.from({ length: n + 1 }, (_, i) => [`n${i}`, allocation(i)]));
  const { sessions } = planSessions(config, peers, allocations);
  writeFileSync(join(dir, "peers.d/peers.conf"), renderPeersFile(config, sessions, allocations));
};
const time = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

spawnSync("ip", ["netns", "del", NS]);
sh(`ip netns add ${NS} && ip -n ${NS} link add tinc0 type veth peer name tinc0p && ip -n ${NS} link set tinc0p up && ip -n ${NS} addr add ${addr(0)}/16 dev tinc0 && ip -n ${NS} link set tinc0 up && ip -n ${NS} link set lo up`);
try {
  writePeers(counts[0]);
  sh(`ip netns exec ${NS} bird -c ${dir}/bird.conf -s ${sock} -P ${dir}/bird.pid`);
  console.log(`${sh(`bird --version 2>&1`).trim()} as a route reflector (the agent's peers.conf), ${RUNS} runs each:`);
  for (const n of counts) {
    writePeers(n);
    sh(`birdc -s ${sock} configure`);
    const check = [];
    const configure = [];
    for (let r = 0; r < RUNS; r++) {
      writePeers(n + 1 + (r % 2)); // one client joins (and the next run: another one)
      check.push(time(() => sh(`bird -p -c ${dir}/bird.conf`)));
      configure.push(time(() => sh(`birdc -s ${sock} configure`)));
    }
    const protocols = sh(`birdc -s ${sock} show protocols | grep -c ' BGP '`).trim();
    const rss = sh(`ps -o rss= -p $(cat ${dir}/bird.pid)`).trim();
    console.log(`  ${n} clients (+1 joining): bird -p -c ${median(check).toFixed(1)} ms, birdc configure ${median(configure).toFixed(1)} ms, ${protocols} BGP protocols, BIRD RSS ${(Number(rss) / 1024).toFixed(1)} MB`);
  }
} finally {
  spawnSync("sh", ["-c", `kill $(cat ${dir}/bird.pid) 2>/dev/null`]);
  spawnSync("ip", ["netns", "del", NS]);
  rmSync(dir, { recursive: true, force: true });
}
