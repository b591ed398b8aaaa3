#!/usr/bin/env node
// No-change apply, timed as whole processes (node start-up included), on 3 and on 10 lab hosts,
// with the SSH round trips each host cost, the controller's CPU and each host's CPU for the facts and
// the probe (from the JSON report). Goal: ≤ 2 round trips per
// host, ≤ 0.7 s for 3 hosts, ≤ 1.5 s for 10. Needs root and a built CLI (npm run build).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
// The CLI as an installed package runs it: package.json's bin (the bundle).
const CLI = join(root, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).bin["bgpmesh-provision"]);
const SITE = join(root, "test/fixtures/e2e-project/site.yml");
const RUNS = Number(process.env.RUNS ?? 7);
const LAB = "bench-apply";
const work = mkdtempSync(join(tmpdir(), "bgpmesh-bench-"));

const cli = (...args) => execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  cli("lab", "up", "--name", LAB, "--hosts", "10");
  const status = JSON.parse(cli("lab", "status", "--name", LAB, "--json"));
  const lab = status.lab;
  const inventory = join(work, "inventory.yml");
  writeFileSync(
    inventory,
    `all:\n  vars:\n    ansible_ssh_private_key_file: ${lab.keyFile}\n    bgpmesh_known_hosts: ${lab.knownHostsFile}\n    demo_token: bench\n` +
      `  children:\n    demo:\n      hosts:\n${status.hosts.map((h) => `        ${h.name}: { ansible_host: ${h.address} }`).join("\n")}\n`,
  );
  const apply = (limit, report) =>
    spawnSync(process.execPath, [CLI, "apply", "-i", inventory, "--site", SITE, "-l", limit, "--no-color", ...(report ? ["--json", report] : [])], { encoding: "utf8" });
  const first = apply("all");
  if (first.status !== 0) throw new Error(`first apply failed:\n${first.stdout}${first.stderr}`);

  for (const [label, limit] of [["3 hosts", "node1,node2,node3"], ["10 hosts", "all"]]) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      const r = apply(limit);
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
      if (r.status !== 0 || !/changed=0/.test(r.stdout) || /changed=[1-9]/.test(r.stdout)) throw new Error(`not a no-change run:\n${r.stdout}`);
    }
    const report = join(work, "report.json");
    apply(limit, report);
    const json = JSON.parse(readFileSync(report, "utf8"));
    const trips = json.hosts.map((h) => h.roundTrips);
    const probeCpu = json.hosts.map((h) => h.probeCpuSeconds * 1000);
    console.log(
      `no-change apply, ${label}: median ${median(times).toFixed(3)} s, min ${Math.min(...times).toFixed(3)} s over ${RUNS} runs; ` +
        `SSH round trips per host: max ${Math.max(...trips)} (${trips.join(" ")}); ` +
        `controller CPU ${(json.controllerCpuSeconds * 1000).toFixed(0)} ms, ${((json.controllerCpuSeconds * 1000) / json.hosts.length).toFixed(0)} ms per host; ` +
        `host CPU of facts + probe per host: median ${median(probeCpu).toFixed(0)} ms, max ${Math.max(...probeCpu).toFixed(0)} ms (10 ms resolution)`,
    );
  }
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, [CLI, "--version"]);
  console.log(`node start-up + CLI load (--version): ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`);
} finally {
  try {
    cli("lab", "down", "--name", LAB);
  } catch {}
  rmSync(work, { recursive: true, force: true });
}
