#!/usr/bin/env node
// Lab figures: `lab up` of 3 hosts with a warm cache (median of RUNS), once cold (a fresh cache:
// debootstrap and package downloads included, skipped with --warm-only), `lab down`, and the
// memory each idle host holds. Needs root and a built CLI (npm run build).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = new URL("../dist/cli.js", import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 5);
const HOSTS = process.env.HOSTS ?? "3";
const warmOnly = process.argv.includes("--warm-only");

function cli(args, env = {}) {
  const t = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, out };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b) => (b / 2 ** 20).toFixed(1);

if (!warmOnly) {
  const cache = mkdtempSync(join(tmpdir(), "bgpmesh-bench-cache-"));
  try {
    const up = cli(["lab", "up", "--name", "bench-cold", "--hosts", HOSTS], { BGPMESH_LAB_CACHE: cache });
    console.log(`lab up, ${HOSTS} hosts, cold cache (debootstrap + apt downloads): ${up.seconds.toFixed(1)} s`);
  } finally {
    cli(["lab", "down", "--name", "bench-cold"]);
    rmSync(cache, { recursive: true, force: true });
  }
}

cli(["lab", "up", "--name", "bench", "--hosts", "1"]); // make sure the default cache is built
cli(["lab", "down", "--name", "bench"]);
const ups = [];
const downs = [];
let status;
for (let i = 0; i < RUNS; i++) {
  ups.push(cli(["lab", "up", "--name", "bench", "--hosts", HOSTS]).seconds);
  if (i === RUNS - 1) {
    await new Promise((r) => setTimeout(r, 10_000)); // let the hosts settle into idle
    status = JSON.parse(cli(["lab", "status", "--name", "bench", "--json"]).out);
  }
  downs.push(cli(["lab", "down", "--name", "bench"]).seconds);
}
console.log(`lab up, ${HOSTS} hosts, warm cache: median ${median(ups).toFixed(2)} s (runs: ${ups.map((s) => s.toFixed(2)).join(", ")})`);
console.log(`lab down, ${HOSTS} hosts: median ${median(downs).toFixed(2)} s`);
for (const h of status.hosts) {
  const m = h.memory;
  console.log(`idle ${h.name}: ${m ? `${mib(m.totalBytes)} MiB charged (page cache included), ${mib(m.rssBytes)} MiB anonymous` : "no memory figures (no memory cgroup)"}`);
}
