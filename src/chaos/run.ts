// One fault, end to end: inject it, hold it, heal it, wait for `verify` to say converged, and
// read off the probe what users of the mesh saw meanwhile; then the report over many faults.
// Shared by test/e2e/chaos.test.ts and bench/chaos.mjs.
import { birdProtocolName } from "../fields/bird.js";
import { sleep } from "../util/time.js";
import { sshIn, tool, type ChaosLab, type Fault } from "./faults.js";
import type { MeshProbe, ProbeTarget } from "./probe.js";
import { lossByPair, lostPings, outages, p50max, routeGaps } from "./samples.js";

export interface ChaosTarget extends ProbeTarget {
  prefixes: string[];
}

export interface FaultResult {
  kind: string;
  victims: string[];
  heldSeconds: number;
  /** seconds from the heal to `verify` converged; undefined: not within the wait */
  reconvergeSeconds: number | undefined;
  /** pings lost between pairs the fault cuts by design */
  lostExcused: number;
  /** pings lost between any other pairs, by "from>to" */
  lostOther: Map<string, number>;
  /** outages (2+ consecutive pings lost) between any other pairs: "from>to" → longest run */
  outagesOther: Map<string, number>;
  /** route samples that lacked a route they should have kept, and the first of them */
  routeSamplesMissing: number;
  firstMissing?: string;
  /** route samples with a session down that should have stayed up */
  sessionSamplesDown: number;
  /** hosts whose agent still owes a reload after convergence */
  owed: string[];
  verifyTail: string;
}

const now = () => Date.now() / 1000;

/** Reloads the agent owes (its bgpmesh_reloads_owed gauge), per host that owes any. */
export async function owedReloads(lab: ChaosLab, hosts: readonly string[]): Promise<string[]> {
  const script = `node -e 'require("http").get("http://127.0.0.1:2112/metrics", (r) => { let d = ""; r.on("data", (c) => (d += c)); r.on("end", () => console.log(d)); })'`;
  const owed: string[] = [];
  for (const h of hosts) {
    const text = await sshIn(lab, h, script).catch((e: Error) => `unreadable ${e.message}`);
    const lines = text.split("\n").filter((l) => l.startsWith("bgpmesh_reloads_owed"));
    if (lines.length === 0 || lines.some((l) => !/ 0$/.test(l))) owed.push(h);
  }
  return owed;
}

export async function verifyConverged(inventory: string, waitSeconds: number): Promise<{ ok: boolean; out: string }> {
  const r = await tool(["verify", "-i", inventory, "--wait", `${waitSeconds}s`, "--no-color"], (waitSeconds + 120) * 1000);
  return { ok: r.code === 0 && r.stdout.includes("converged"), out: r.stdout + r.stderr };
}

export async function runFault(
  lab: ChaosLab,
  inventory: string,
  probe: MeshProbe,
  targets: readonly ChaosTarget[],
  fault: Fault,
  opts: { verifyWaitSeconds?: number } = {},
): Promise<FaultResult> {
  const owner = new Map<string, string>();
  for (const t of targets) for (const p of t.prefixes) owner.set(p, t.name);
  const byProtocol = new Map(targets.map((t) => [birdProtocolName(t.name), t.name]));

  const start = now();
  await fault.inject();
  if (fault.holdSeconds > 0) await sleep(fault.holdSeconds * 1000);
  const healed = now();
  await fault.heal();
  const v = await verifyConverged(inventory, opts.verifyWaitSeconds ?? 180);
  const converged = now();
  // A host that went down took its probe stream with it.
  if (fault.kind === "crash" || fault.kind === "reboot" || fault.kind === "rebuild") for (const h of fault.victims) probe.restart(h);
  // The last samples before `converged` are still on their way.
  await sleep(1500);
  const lost = lostPings(probe.pings, start, converged);
  const excused = lost.filter((s) => fault.excused(s.from, s.to));
  const other = lost.filter((s) => !fault.excused(s.from, s.to));
  const gaps = routeGaps(
    probe.routes,
    start,
    converged,
    (host, route) => fault.excused(host, owner.get(route) ?? ""),
    (host, protocol) => (fault.sessionExcused ?? fault.excused)(host, byProtocol.get(protocol) ?? ""),
  );
  const firstMissing = gaps.missing[0];
  return {
    kind: fault.kind,
    victims: fault.victims,
    heldSeconds: Number((healed - start).toFixed(1)),
    reconvergeSeconds: v.ok ? Number((converged - healed).toFixed(1)) : undefined,
    lostExcused: excused.length,
    lostOther: lossByPair(other),
    outagesOther: outages(other),
    routeSamplesMissing: gaps.missing.length,
    ...(firstMissing && { firstMissing: `${firstMissing.host} at +${(firstMissing.t - start).toFixed(1)} s had ${firstMissing.routes.join(",") || "no route"}` }),
    sessionSamplesDown: gaps.down.length,
    owed: await owedReloads(lab, lab.hosts.map((h) => h.name)),
    verifyTail: v.out.trim().split("\n").slice(-12).join("\n"),
  };
}

/** The report: per fault kind, how many, seconds to reconverge (p50/max), pings lost. */
export function chaosReport(results: readonly FaultResult[]): string {
  const lines = ["fault kind        count  reconverge s p50/max  pings lost: cut by the fault / others (in outages)  flaps  owed after"];
  const kinds = [...new Set(results.map((r) => r.kind))];
  for (const kind of kinds) {
    const rs = results.filter((r) => r.kind === kind);
    const times = rs.flatMap((r) => (r.reconvergeSeconds === undefined ? [] : [r.reconvergeSeconds]));
    const pm = p50max(times);
    const notConverged = rs.length - times.length;
    const other = rs.reduce((n, r) => n + [...r.lostOther.values()].reduce((a, b) => a + b, 0), 0);
    const inOutages = rs.reduce((n, r) => n + [...r.outagesOther.values()].reduce((a, b) => a + b, 0), 0);
    const flaps = rs.reduce((n, r) => n + r.routeSamplesMissing + r.sessionSamplesDown, 0);
    const owed = rs.reduce((n, r) => n + r.owed.length, 0);
    lines.push(
      `${kind.padEnd(17)} ${String(rs.length).padStart(5)}  ${(pm ? `${pm.p50.toFixed(1)} / ${pm.max.toFixed(1)}` : "-").padStart(12)}${notConverged ? ` (${notConverged} NOT converged)` : ""}` +
        `  ${String(rs.reduce((n, r) => n + r.lostExcused, 0)).padStart(14)} / ${`${other} (${inOutages})`.padEnd(24)}  ${String(flaps).padStart(5)}  ${owed}`,
    );
  }
  return lines.join("\n");
}
