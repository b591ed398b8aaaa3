// What `status` asks a host, in one command, and the reading of its answer. Each part reports
// on its own after a marker line, with its error text on stdout, so a host without birdc, with
// BIRD down or never applied still answers the other parts.
import { parseShowProtocolsAll, totalFiltered } from "../fields/birdc.js";
import { LAST_RUN_FILE } from "../engine/apply-script.js";
import { shellQuote } from "../util/shell.js";

export const AGENT_UNIT = "bgpmesh-agent";

const AGENT = "@@status agent";
const BIRD = "@@status bird";
const LAST_RUN = "@@status last-run";
const END = "@@status end";
const ABSENT = "@@absent";

/** The record every apply or pull leaves on the host (src/engine/apply-script.ts). */
export interface LastRun {
  /** the host's clock, ISO 8601 with its offset */
  at: string;
  /** steps done (before the failure, if it failed) */
  changed: number;
  /** push or pull */
  kind: string;
  /** the machine the run came from */
  from: string;
  /** ok or failed */
  result: string;
}

export interface HostProbe {
  /** systemd's word for the agent (active, inactive, failed, …), "not installed" or "unknown" */
  agent: string;
  /**
   * the peer_* BGP sessions BIRD has and the routes their import filters refused (over all of
   * them), or why they could not be read ("bird down", "no birdc", …)
   */
  bgp: { established: number; sessions: number; filtered: number } | { problem: string };
  /** null: no record, so never applied by this tool */
  lastRun: LastRun | "unreadable" | null;
}

/**
 * The command. Every part has a `timeout`: a wedged BIRD or systemd must not hold the whole
 * table, and the connect timeout does not cover a command that never ends.
 */
export function statusScript(lastRunFile = LAST_RUN_FILE): string {
  const file = shellQuote(lastRunFile);
  return [
    "export LC_ALL=C",
    `echo '${AGENT}'`,
    `timeout 5 systemctl is-active ${AGENT_UNIT} 2>&1`,
    `timeout 5 systemctl show -p LoadState --value ${AGENT_UNIT} 2>&1`,
    `echo '${BIRD}'`,
    `timeout 5 birdc -r show protocols all 2>&1; echo "@@exit $?"`,
    `echo '${LAST_RUN}'`,
    `if [ -e ${file} ]; then cat ${file} 2>&1; else echo '${ABSENT}'; fi`,
    `echo '${END}'`,
  ].join("\n");
}

/** Reads the command's output; throws when it stopped before the end (connection lost, killed). */
export function parseStatus(out: string): HostProbe {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("@@status ")) sections.set(line, (current = []));
    else current?.push(line);
  }
  if (!sections.has(END)) throw new Error("the status command did not finish");
  return {
    agent: agentState(sections.get(AGENT) ?? []),
    bgp: bgpSessions(sections.get(BIRD) ?? []),
    lastRun: lastRun(sections.get(LAST_RUN) ?? []),
  };
}

function agentState([active = "", load = ""]: string[]): string {
  // systemctl says "inactive" for a unit that does not exist; LoadState tells the two apart.
  if (load.trim() === "not-found") return "not installed";
  return /^[a-z-]+$/.test(active.trim()) ? active.trim() : "unknown";
}

function bgpSessions(lines: string[]): HostProbe["bgp"] {
  const code = Number(/^@@exit (\d+)$/.exec(lines.findLast((l) => l.startsWith("@@exit ")) ?? "")?.[1] ?? -1);
  const text = lines.filter((l) => !l.startsWith("@@exit ")).join("\n");
  if (/Unable to connect to server control socket/.test(text)) return { problem: "bird down" };
  // 127: the shell's (or timeout's) "command not found"
  if (code === 127) return { problem: "no birdc" };
  if (code === 124) return { problem: "birdc timed out" };
  if (code !== 0) {
    const reason = text.split("\n").find((l) => l.trim() && !/^BIRD .* ready\.$/.test(l));
    return { problem: `birdc failed: ${reason?.trim() ?? `exit ${code}`}` };
  }
  const sessions = parseShowProtocolsAll(text);
  return { established: sessions.filter((s) => s.established).length, sessions: sessions.length, filtered: totalFiltered(sessions) };
}

function lastRun(lines: string[]): HostProbe["lastRun"] {
  const text = lines.join("\n").trim();
  if (text === ABSENT) return null;
  try {
    const r = JSON.parse(text) as Record<string, unknown>;
    const { at, changed, kind, from, result } = r;
    if (typeof at === "string" && typeof changed === "number" && typeof kind === "string" && typeof from === "string" && typeof result === "string") {
      return { at, changed, kind, from, result };
    }
  } catch {
    // a record cut short or not JSON: said as unreadable below
  }
  return "unreadable";
}
