// The one script that applies a host's plan. Each step runs in a subshell with `set -e` and
// reports on stdout (its own output goes to stderr): "@@ok N" / "@@failed N". Handlers a step
// notifies are written to the host's journal BEFORE the step runs, so a run that dies half-way
// leaves them owed, and the next apply runs them.
import { shellQuote } from "../util/shell.js";
import type { HostPlan } from "./action.js";
import { JOURNAL } from "./probe-script.js";

export const DONE = "@@done";

function step(id: string, script: string): string[] {
  return [`( set -e`, script, `) >&2 || { echo "@@failed ${id}"; exit 1; }`, `echo "@@ok ${id}"`];
}

export function applyScript(plan: HostPlan): string {
  const out = [
    "export LC_ALL=C DEBIAN_FRONTEND=noninteractive",
    `mkdir -p ${JOURNAL.slice(0, JOURNAL.lastIndexOf("/"))}`,
    `owe() { grep -qxF -- "$1" ${JOURNAL} 2>/dev/null || printf '%s\\n' "$1" >> ${JOURNAL}; }`,
  ];
  plan.actions.forEach((a, i) => {
    for (const h of a.notify) out.push(`owe ${shellQuote(h)}`);
    out.push(...step(`a${i}`, a.script));
  });
  plan.handlers.forEach((h, i) => out.push(...step(`h${i}`, h.run)));
  out.push(`rm -f ${JOURNAL}`, `echo ${DONE}`, "");
  return out.join("\n");
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
