import type { ResourceUnit } from "../engine/action.js";
import type { CommandResource } from "../engine/desired.js";
import { shellQuote } from "../util/shell.js";

/** A command runs unless its guard (`creates` path exists, `unless` command succeeds) says it already has. */
export const commandUnit: ResourceUnit<CommandResource> = {
  probe(r, i) {
    const checks: string[] = [];
    if (r.creates) checks.push(`[ -e ${shellQuote(r.creates)} ]`);
    if (r.unless) checks.push(`( ${r.unless} ) >/dev/null 2>&1 </dev/null`);
    if (checks.length === 0) return "";
    return `if ${checks.join(" || ")}; then guard ${i} 1; else guard ${i} 0; fi`;
  },
  plan(r, i, { observed }) {
    if (observed.guards[i] === true) return [];
    return [{ target: `command ${r.name}`, change: "run", notify: r.notify, script: r.run }];
  },
};
