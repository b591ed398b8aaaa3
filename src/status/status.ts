// Every selected host asked at once (up to --forks), and what counts as a problem: the rules
// behind the exit code, so `status` can stand in a script or a cron job.
import pLimit from "p-limit";
import { hostsOf, resolveHostVars, type Inventory } from "../inventory/index.js";
import { MESH_GROUP } from "../mesh/derive.js";
import { expectedSessionCounts } from "../mesh/reflectors.js";
import type { Transport } from "../transport/transport.js";
import { parseStatus, statusScript, type HostProbe, type LastRun } from "./probe.js";

export interface HostStatus {
  host: string;
  /** connected and the status command ran */
  reachable: boolean;
  /** first line of why not */
  error?: string;
  /** null: not asked, or a host outside the mesh with no agent */
  agent: string | null;
  /**
   * null for hosts outside the mesh (and unreachable ones). `filtered`: routes the peers sent that
   * BIRD's import filters refused, over all peer_* sessions (absent when BIRD could not be read);
   * shown, never a problem by itself.
   */
  sessions: { established: number; expected: number; filtered?: number; problem?: string } | null;
  lastRun: LastRun | "unreadable" | null;
  problems: string[];
  ok: boolean;
}

/**
 * Sessions each mesh host should have: one with every other mesh host in a full mesh; with route
 * reflectors, a client one per reflector. Counted over the whole inventory, whatever --limit
 * selects. Hosts outside `mesh` are not in the map.
 */
export function expectedSessions(inv: Inventory): Map<string, number> {
  const mesh = inv.groups.has(MESH_GROUP) ? hostsOf(inv, MESH_GROUP) : [];
  const on = (h: string) => ["true", true].includes(resolveHostVars(inv, h).vars.get("mesh_ipv6")?.value as string | boolean);
  return expectedSessionCounts(inv, mesh, new Set(mesh.filter(on)));
}

/** The status of a host that answered; `expected` undefined: a host outside the mesh. */
export function judgeHost(host: string, probe: HostProbe, expected: number | undefined): HostStatus {
  const inMesh = expected !== undefined;
  const problems: string[] = [];
  const agentFound = probe.agent !== "not installed" && probe.agent !== "unknown";
  const agent = inMesh || agentFound ? probe.agent : null;
  // Outside the mesh an agent is not needed, but systemd calling it failed still wants a look.
  if (inMesh ? agent !== "active" : agent === "failed") problems.push(`agent ${agent}`);
  let sessions: HostStatus["sessions"] = null;
  if (inMesh) {
    if ("problem" in probe.bgp) {
      sessions = { established: 0, expected, problem: probe.bgp.problem };
      problems.push(probe.bgp.problem);
    } else {
      sessions = { established: probe.bgp.established, expected, filtered: probe.bgp.filtered };
      if (probe.bgp.established < expected) problems.push(`sessions ${probe.bgp.established}/${expected}`);
    }
  }
  if (probe.lastRun === "unreadable") problems.push("last-run record unreadable");
  else if (probe.lastRun && probe.lastRun.result !== "ok") problems.push(`last apply ${probe.lastRun.result.toUpperCase()}`);
  return { host, reachable: true, agent, sessions, lastRun: probe.lastRun, problems, ok: problems.length === 0 };
}

export function unreachable(host: string, error: string): HostStatus {
  return { host, reachable: false, error, agent: null, sessions: null, lastRun: null, problems: ["unreachable"], ok: false };
}

export interface StatusRun {
  hosts: string[];
  /** from expectedSessions */
  expected: Map<string, number>;
  forks: number;
  connect: (host: string) => Promise<Transport>;
  /** masks secrets in error text */
  redact?: (text: string) => string;
}

export async function collectStatus(run: StatusRun): Promise<HostStatus[]> {
  const limit = pLimit(run.forks);
  const redact = run.redact ?? ((t: string) => t);
  return Promise.all(
    run.hosts.map((host) =>
      limit(async () => {
        let transport: Transport | undefined;
        try {
          transport = await run.connect(host);
          const r = await transport.exec(statusScript());
          return judgeHost(host, parseStatus(r.stdout), run.expected.get(host));
        } catch (e) {
          // Not only UnreachableError: a refused sudo or a cut-off answer leaves the host as unknown.
          return unreachable(host, redact((e as Error).message.split("\n")[0] ?? ""));
        } finally {
          await transport?.close().catch(() => undefined);
        }
      }),
    ),
  );
}

/** 0 when every host is ok, 1 otherwise. */
export function exitCodeOf(statuses: HostStatus[]): number {
  return statuses.every((s) => s.ok) ? 0 : 1;
}
