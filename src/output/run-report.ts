// A playbook run as the user sees it: a status line per host as it finishes (on a terminal, with a
// live line of the counts below them: progress-line.ts), then (plan) each
// host's plan, the recap, and the saved plan and JSON report when asked for. The engine returns
// results; this renders them.
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { runPlaybook, type PlaybookRun, type RunOptions } from "../engine/run.js";
import { publicPlan, writePlanFile } from "../engine/plan-file.js";
import { hasChanges } from "../model/plan.js";
import type { HostResult } from "../model/result.js";
import { renderPlan } from "./plan-view.js";
import { ProgressLine } from "./progress-line.js";
import { renderRecap } from "./recap.js";

export interface ReportOptions {
  /** show file diffs in the plan */
  diff: boolean;
  color: boolean;
  /** print each host's plan, with diffs, before applying it (pull mode's log) */
  showPlanBeforeApply?: boolean;
  /** save the plan here */
  outPlan?: string;
  /** write a JSON report here */
  jsonReport?: string;
  /** a live line of hosts done, running and failed (stderr is a terminal) */
  live?: boolean;
  out: (text: string) => void;
}

export async function runAndReport(opts: RunOptions & ReportOptions): Promise<PlaybookRun> {
  checkOutput(opts.outPlan, "--out");
  checkOutput(opts.jsonReport, "--json");
  const line = new ProgressLine(opts.err, { live: opts.live === true, columns: () => process.stderr.columns });
  let run: PlaybookRun;
  try {
    run = await runPlaybook({
      ...opts,
      err: (t) => line.print(t),
      runStart: (hosts) => line.begin(hosts.length),
      hostStart: () => line.start(),
      hostStep: (host, step) => line.step(host, step),
      hostDone: (r) => {
        line.done(r);
        line.print(`${r.host}: ${statusLine(r, opts.apply)}\n`);
      },
      ...(opts.showPlanBeforeApply && { beforeApply: (plan, redact) => line.print(redact(renderPlan(plan, { diff: true, color: opts.color })), opts.out) }),
    });
  } finally {
    line.close();
  }
  const { results, seconds, redact } = run;
  if (!opts.apply) {
    for (const r of results) if (r.plan) opts.out(redact(renderPlan(r.plan, { diff: opts.diff, color: opts.color })));
  }
  opts.out(renderRecap(results, seconds, opts.color, opts.apply));
  if (opts.outPlan) writePlanFile(opts.outPlan, run.inputs, results.flatMap((r) => (r.plan ? [r.plan] : [])), redact);
  if (opts.jsonReport) writeJsonReport(opts.jsonReport, opts.apply, results, seconds, redact);
  return run;
}

/**
 * A file the run is to write when it ends must be writable before it begins: found missing after an
 * apply, the hosts would have changed and the command still failed, with the report lost.
 */
function checkOutput(path: string | undefined, option: string): void {
  if (!path) return;
  const dir = dirname(resolve(path));
  const why = (() => {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) return `there is no folder ${dir}`;
    if (!st.isDirectory()) return `${dir} is not a folder`;
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return "it is a folder";
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      return `${dir} is not writable`;
    }
    return undefined;
  })();
  if (why) throw new Error(`${option} ${path}: cannot write it: ${why} (no host was contacted)`);
}

function statusLine(r: HostResult, apply: boolean): string {
  const time = `${r.seconds.toFixed(2)}s`;
  if (r.status === "unreachable") return `UNREACHABLE (${time})`;
  if (r.status === "failed" || r.status === "stale") return `FAILED (${time})`;
  if (!apply) return r.plan && hasChanges(r.plan) ? `${r.plan.actions.length + r.plan.handlers.length} to change (${time})` : `no changes (${time})`;
  return r.changed ? `changed ${r.changed} (${time})` : `ok, no changes (${time})`;
}

function writeJsonReport(path: string, apply: boolean, results: HostResult[], seconds: number, redact: (t: string) => string): void {
  const report = {
    command: apply ? "apply" : "plan",
    finished: new Date().toISOString(),
    seconds,
    // The controller's own CPU over the whole command (user + system), for benchmarks.
    controllerCpuSeconds: (({ user, system }) => (user + system) / 1e6)(process.cpuUsage()),
    hosts: results.map((r) => ({ ...r, plan: r.plan ? publicPlan(r.plan) : undefined })),
  };
  writeFileSync(path, redact(JSON.stringify(report, null, 2)) + "\n", { mode: 0o600 });
}
