// The one script that applies a host's plan. Each step runs in a subshell with `set -e` and
// reports on stdout (its own output goes to stderr): "@@ok N" / "@@failed N". Handlers a step
// notifies are written to the host's journal BEFORE the step runs, so a run that dies half-way
// leaves them owed, and the next apply runs them.
import { shellQuote } from "../util/shell.js";
import type { HostPlan, PlannedHandler } from "./action.js";
import { JOURNAL } from "./probe-script.js";

export const DONE = "@@done";
/** printed when the steps before the first serial handler are done (see host-run.ts) */
export const PHASE_ONE = "@@phase-one-done";

function step(id: string, script: string): string[] {
  return [`( set -e`, script, `) >&2 || { echo "@@failed ${id}"; exit 1; }`, `echo "@@ok ${id}"`];
}

/** The handler's command, then its `wait` retried every second until it succeeds or times out. */
function handlerScript(h: PlannedHandler): string {
  if (!h.wait) return h.run;
  const { command, timeoutSec } = h.wait;
  return [
    h.run,
    "n=0",
    `until ( ${command} ) >/dev/null 2>&1 </dev/null; do`,
    `  n=$((n+1)); if [ "$n" -ge ${timeoutSec} ]; then echo ${shellQuote(`still failing after ${timeoutSec}s: ${command}`)}; exit 1; fi`,
    "  sleep 1",
    "done",
  ].join("\n");
}

export interface ApplyScripts {
  /** everything, or the steps before the first serial handler */
  first: string;
  /** from the first serial handler on: sent only while this host holds that handler's turn */
  second?: { handler: string; script: string };
}

/**
 * The script that applies a host's plan, in one piece, or in two when a handler must run on one
 * host at a time: the command on the host reads its stdin as it goes, so the second part is only
 * sent when the controller gives this host its turn.
 */
export function applyScripts(plan: HostPlan): ApplyScripts {
  const head = [
    "export LC_ALL=C DEBIAN_FRONTEND=noninteractive",
    `mkdir -p ${JOURNAL.slice(0, JOURNAL.lastIndexOf("/"))}`,
    `owe() { grep -qxF -- "$1" ${JOURNAL} 2>/dev/null || printf '%s\\n' "$1" >> ${JOURNAL}; }`,
  ];
  plan.actions.forEach((a, i) => {
    for (const h of a.notify) head.push(`owe ${shellQuote(h)}`);
    head.push(...step(`a${i}`, a.script));
  });
  const tail = [`rm -f ${JOURNAL}`, `echo ${DONE}`, ""];
  const split = plan.handlers.findIndex((h) => h.serial);
  const handlerSteps = (from: number, to: number) =>
    plan.handlers.slice(from, to).flatMap((h, k) => step(`h${from + k}`, handlerScript(h)));
  if (split < 0) return { first: [...head, ...handlerSteps(0, plan.handlers.length), ...tail].join("\n") };
  return {
    first: [...head, ...handlerSteps(0, split), `echo ${PHASE_ONE}`, ""].join("\n"),
    second: { handler: plan.handlers[split]!.name, script: [...handlerSteps(split, plan.handlers.length), ...tail].join("\n") },
  };
}

export interface StepResults {
  ok: Set<string>;
  failed?: string;
  done: boolean;
}

export function parseApplyOutput(stdout: string): StepResults {
  const res: StepResults = { ok: new Set(), done: false };
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@@ok ")) res.ok.add(line.slice(5));
    else if (line.startsWith("@@failed ")) res.failed = line.slice(9);
    else if (line === DONE) res.done = true;
  }
  return res;
}
