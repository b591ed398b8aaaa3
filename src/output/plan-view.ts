// How a plan reads on a terminal: per host, what changes, with unified diffs of files.
import type { Action, HostPlan } from "../model/plan.js";
import { styler } from "./style.js";

const MARK: Record<string, string> = { create: "+", install: "+", issue: "+", update: "~", set: "~", renew: "~", enable: ">", disable: ">", start: ">", stop: ">", run: ">" };

export function renderPlan(plan: HostPlan, opts: { diff: boolean; color: boolean; address?: string }): string {
  const s = styler(opts.color);
  const head = `${s("bold", plan.host)}${opts.address ? s("dim", ` (${opts.address})`) : ""}`;
  const changes = plan.actions.length + plan.handlers.length;
  const notes = (plan.notes ?? []).map((n) => `  ${s("dim", `i ${n}`)}`);
  if (changes === 0 && plan.unknownOwed.length === 0) {
    return [`${head}: no changes (${plan.unchanged} resources as desired)`, ...notes].join("\n") + "\n";
  }
  const lines = [`${head}: ${changes} to change, ${plan.unchanged} unchanged`];
  for (const a of plan.actions) {
    lines.push(`  ${s(a.change === "create" || a.change === "install" || a.change === "issue" ? "green" : "yellow", MARK[a.change] ?? ">")} ${a.change} ${a.target}${a.detail ? s("dim", `  ${a.detail}`) : ""}`);
    if (opts.diff && a.diff) lines.push(...diffLines(a, s));
  }
  for (const h of plan.handlers) {
    const why = h.notified ? "notified" : "owed by an earlier run that stopped half-way";
    const rolling = h.rolling ? `, ${h.rolling.hosts === 1 ? "one host" : `at most ${h.rolling.hosts} hosts`} at a time` : "";
    lines.push(`  ${s("cyan", "!")} handler ${h.name}${s("dim", `  (${why}${rolling})`)}`);
  }
  for (const name of plan.unknownOwed) lines.push(`  ${s("dim", `- forget owed handler '${name}': no role defines it any more`)}`);
  return [...lines, ...notes].join("\n") + "\n";
}

function diffLines(a: Action, s: ReturnType<typeof styler>): string[] {
  return (a.diff ?? "")
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => {
      const styled = l.startsWith("+") && !l.startsWith("+++") ? s("green", l) : l.startsWith("-") && !l.startsWith("---") ? s("red", l) : l.startsWith("@@") ? s("cyan", l) : l;
      return `      ${styled}`;
    });
}
