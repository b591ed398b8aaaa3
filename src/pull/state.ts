// What each pull did, kept on the node: the last run, the last run that succeeded (what the host
// is now built from) and a short history, for people and for `--only-if-changed`.
import { mkdirSync, readFileSync } from "node:fs";
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

export function readPullState(file = PULL_STATE_FILE): PullState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { history: [] };
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  // A state file from elsewhere is not trusted to skip a run: start again as if there were none.
  return parsed.success ? parsed.data : { history: [] };
}

/** Adds a run; a run that applied, or found nothing to apply, becomes what the host is built from. */
export function recordPullRun(run: PullRun, file = PULL_STATE_FILE): PullState {
  const state = readPullState(file);
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
