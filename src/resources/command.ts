// command: a shell command that runs unless its guard (`creates` path exists, `unless` command
// succeeds) says it already has.
import { z } from "zod";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import type { ResourceKind, RoleForm, Str } from "./kind.js";
import { notify, text, when } from "./schema-parts.js";

export type CommandResource = ResourceBase & {
  kind: "command";
  /** a stable name shown in plans, e.g. "generate tinc key" */
  name: string;
  run: string;
  /** skip when this path exists */
  creates?: string;
  /** skip when this shell command exits 0 (it must only read) */
  unless?: string;
  notify: string[];
};

/** true: the guard says the command has run already */
export const commandKind: ResourceKind<CommandResource, boolean> = {
  kind: "command",
  probe(r, i) {
    const checks: string[] = [];
    if (r.creates) checks.push(`[ -e ${shellQuote(r.creates)} ]`);
    if (r.unless) checks.push(`( ${r.unless} ) >/dev/null 2>&1 </dev/null`);
    if (checks.length === 0) return "";
    return `if ${checks.join(" || ")}; then printf 'R\\t${i}\\t1\\n'; else printf 'R\\t${i}\\t0\\n'; fi`;
  },
  read: (lines) => lines.some(([done]) => done === "1"),
  plan(r, done) {
    if (done) return [];
    return [{ target: `command ${r.name}`, change: "run", notify: r.notify, script: r.run }];
  },
};

interface CommandItem {
  name: Str;
  run: Str;
  creates?: Str;
  unless?: Str;
  notify: string[];
}

export const commandForm: RoleForm<CommandItem> = {
  key: "command",
  schema: z.strictObject({ name: text, run: text, creates: text.optional(), unless: text.optional(), notify, when }),
  parse(p) {
    const creates = p.opt("creates");
    const unless = p.opt("unless");
    return { name: p.str("name"), run: p.str("run"), notify: p.notify, ...(creates && { creates }), ...(unless && { unless }) };
  },
  paths: ["creates"],
  expand: (item, x): CommandResource => ({
    kind: "command",
    name: x.render(item.name),
    run: x.render(item.run),
    ...(item.creates && { creates: x.path(item.creates) }),
    ...(item.unless && { unless: x.render(item.unless) }),
    notify: item.notify,
    origin: x.origin,
  }),
};
