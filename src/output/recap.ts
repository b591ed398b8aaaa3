import { hasChanges } from "../model/plan.js";
import type { HostResult } from "../model/result.js";
import { styler } from "./style.js";

/** Per host: what was found and done (apply) or would be done (plan), then the total. */
export function renderRecap(results: HostResult[], seconds: number, color: boolean, apply: boolean): string {
  const s = styler(color);
  const width = Math.max(4, ...results.map((r) => r.host.length));
  const lines = ["", s("bold", apply ? "RECAP" : "PLAN")];
  for (const r of results) {
    const unreachable = r.status === "unreachable" ? 1 : 0;
    const failed = r.status === "failed" || r.status === "stale" ? 1 : 0;
    const toChange = r.plan && hasChanges(r.plan) ? r.plan.actions.length + r.plan.handlers.length : 0;
    const style = unreachable || failed ? "red" : (apply ? r.changed : toChange) ? "yellow" : "green";
    const counts = apply ? `ok=${r.ok}  changed=${r.changed}` : `unchanged=${r.ok}  to change=${toChange}`;
    lines.push(
      `${s(style, r.host.padEnd(width))}  ${counts}  failed=${failed}  unreachable=${unreachable}` +
        (r.error ? `\n${" ".repeat(width + 2)}${s("red", r.error.split("\n").join(`\n${" ".repeat(width + 2)}`))}` : ""),
    );
  }
  const good = results.filter((r) => r.status === "ok" || r.status === "changed").length;
  lines.push(`${good} of ${results.length} hosts ok in ${seconds.toFixed(2)}s`);
  return lines.join("\n") + "\n";
}
