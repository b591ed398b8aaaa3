// What each pull did, kept on the node: the last run, the last run that succeeded (what the host
// is now built from) and a short history, for people and for `--only-if-changed`.
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic-write.js";

export const PULL_STATE_FILE = "/var/lib/bgpmesh/pull-state.json";
const HISTORY = 20;

const runSchema = z.object({
  repo: z.string(),
  branch: z.string(),
  commit: z.string(),
  subject: z.string(),
  /** the roles, templates and code this run used, so an upgrade of the tool counts as a change */
  tool: z.string(),
  started: z.string(),
  finished: z.string(),
  result: z.enum(["applied", "unchanged", "skipped", "check", "failed"]),
  changed: z.number(),
  error: z.string().optional(),
});
export type PullRun = z.infer<typeof runSchema>;

const stateSchema = z.object({
  last: runSchema.optional(),
  lastGood: runSchema.optional(),
  history: z.array(runSchema).default([]),
});
export type PullState = z.infer<typeof stateSchema>;

/**
 * The state in `file`; no state when there is none. A damaged file (cut short by a crash, or not
 * a pull state at all) also counts as none, or it would fail every later pull until someone
 * deleted it by hand: it is moved aside to `<file>.damaged` (nothing is lost) and `warn` says so.
 */
export function readPullState(file = PULL_STATE_FILE, warn: (message: string) => void = defaultWarn): PullState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { history: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the file's text, and that may hold the repository URL.
    setAside(file, "it is not valid JSON", warn);
    return { history: [] };
  }
  const parsed = stateSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  // A state file from elsewhere is not trusted to skip a run: start again as if there were none.
  const at = parsed.error.issues[0]?.path.join(".") || "top level";
  setAside(file, `it is not a pull state (at ${at})`, warn);
  return { history: [] };
}

function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Renames a damaged state file out of the way, never over an earlier damaged one. */
function setAside(file: string, why: string, warn: (message: string) => void): void {
  let aside = `${file}.damaged`;
  if (existsSync(aside)) aside = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, "")}`;
  try {
    renameSync(file, aside);
    warn(`${file} is damaged (${why}): moved it to ${aside}; going on as if no pull had run before`);
  } catch (e) {
    warn(`${file} is damaged (${why}) and could not be moved aside (${(e as NodeJS.ErrnoException).code ?? "error"}): going on as if no pull had run before; the next run replaces it`);
  }
}

/** Adds a run; a run that applied, or found nothing to apply, becomes what the host is built from. */
export function recordPullRun(run: PullRun, file = PULL_STATE_FILE, warn?: (message: string) => void): PullState {
  const state = readPullState(file, warn);
  const next: PullState = {
    last: run,
    lastGood: run.result === "applied" || run.result === "unchanged" ? run : state.lastGood,
    history: [run, ...state.history].slice(0, HISTORY),
  };
  mkdirSync(dirname(file), { recursive: true });
  // Synced before the rename: a power cut must not leave the name on an empty file.
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, fsync: true });
  return next;
}
