// The status table: one line a host, columns aligned on the text without colour codes.
import { styler } from "../output/style.js";
import type { HostStatus } from "./status.js";

type Tone = "good" | "bad" | "notice" | undefined;
type Cell = [text: string, tone?: Tone];

export interface TableOptions {
  color: boolean;
  /** the zone times are shown in; default: this machine's */
  timeZone?: string;
}

const HEADER = ["HOST", "REACHABLE", "AGENT", "SESSIONS", "FILTERED", "LAST APPLY"];

// Filtered routes are no failure of the host (a peer announcing what it was not allocated is the
// peer's doing, and the filter did its job), but worth a look: yellow, not red.
const TONE_STYLE = { good: "green", bad: "red", notice: "yellow" } as const;

export function renderTable(statuses: HostStatus[], opts: TableOptions): string {
  const style = styler(opts.color);
  const rows = statuses.map((s) => row(s, opts.timeZone));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]![0].length)));
  const line = (cells: Cell[]) =>
    cells
      .map(([text, tone], i) => {
        const pad = i === cells.length - 1 ? "" : " ".repeat(widths[i]! - text.length);
        return (tone ? style(TONE_STYLE[tone], text) : text) + pad;
      })
      .join("  ");
  return [line(HEADER.map((h): Cell => [h])), ...rows.map(line)].join("\n") + "\n";
}

/** "3 hosts: 2 ok, 1 with problems (node3: agent inactive, sessions 0/2)" */
export function summaryLine(statuses: HostStatus[], color: boolean): string {
  const style = styler(color);
  const bad = statuses.filter((s) => !s.ok);
  const ok = `${statuses.length - bad.length} ok`;
  const head = `${statuses.length} host${statuses.length === 1 ? "" : "s"}: ${bad.length === 0 ? style("green", ok) : ok}`;
  if (bad.length === 0) return `${head}\n`;
  const which = bad.map((s) => `${s.host}: ${s.problems.join(", ")}`).join("; ");
  return `${head}, ${style("red", `${bad.length} with problems`)} (${clean(which)})\n`;
}

function row(s: HostStatus, timeZone: string | undefined): Cell[] {
  if (!s.reachable) return [[s.host], [`no (${clean(shortReason(s.host, s.error ?? ""))})`, "bad"], ["-"], ["-"], ["-"], ["-"]];
  const agentBad = s.problems.some((p) => p.startsWith("agent "));
  const agent: Cell = s.agent === null ? ["-"] : [clean(s.agent), agentBad ? "bad" : s.agent === "active" ? "good" : undefined];
  let sessions: Cell = ["-"];
  if (s.sessions?.problem) sessions = [clean(s.sessions.problem), "bad"];
  else if (s.sessions) sessions = [`${s.sessions.established}/${s.sessions.expected}`, s.sessions.established >= s.sessions.expected ? "good" : "bad"];
  const filtered = s.sessions?.filtered;
  const filteredCell: Cell = filtered === undefined ? ["-"] : [String(filtered), filtered > 0 ? "notice" : undefined];
  return [[s.host], ["yes", "good"], agent, sessions, filteredCell, lastApply(s.lastRun, timeZone)];
}

function lastApply(r: HostStatus["lastRun"], timeZone: string | undefined): Cell {
  if (r === null) return ["never"];
  if (r === "unreadable") return ["unreadable record", "bad"];
  const text = clean(`${localTime(r.at, timeZone)} ${r.kind} from ${r.from}, ${r.changed} changed`);
  return r.result === "ok" ? [text] : [`${clean(r.result.toUpperCase())} ${text}`, "bad"];
}

/** "2026-11-24 05:14" in `timeZone`; the recorded text itself when it is not a time. */
export function localTime(at: string, timeZone?: string): string {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return at;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(t);
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? "";
  return `${p("year")}-${p("month")}-${p("day")} ${p("hour")}:${p("minute")}`;
}

/** The error without the `node3 (10.0.0.3:22): ` it starts with: the HOST column says that. */
function shortReason(host: string, error: string): string {
  return error.startsWith(`${host} (`) ? error.replace(/^[^)]*\): /, "") : error;
}

// Text from a host (its last-run record, its error output) must not reach the terminal as control codes.
const clean = (t: string) => t.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
