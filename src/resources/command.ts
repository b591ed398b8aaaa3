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
    const line = `if ${checks.join(" || ")}; then printf 'R\\t${i}\\t1\\n'; else printf 'R\\t${i}\\t0\\n'; fi`;
    return r.unless ? `if command_guard_dir; then ( ${line} ) > "$_cg/${i}" & else ${line}; fi` : line;
  },
  // An `unless` guard runs beside the rest of the probe: the etcd member's users-and-rights check
  // alone took 0.22 s, half of that host's probe and the longest part of a no-change run. Guards
  // only read. Each writes its line to a file of its own, printed once all are done: written
  // straight to the probe's output, a line could land inside another command's (sha256sum's, a
  // diff's base64) where stdio cut it at a buffer's end. With no temp dir it runs in line, as before.
  probeFunctions: String.raw`_cg=
command_guard_dir() { [ -n "$_cg" ] || _cg=$(mktemp -d 2>/dev/null) || _cg=; [ -n "$_cg" ]; }
command_guard_flush() { [ -n "$_cg" ] || return 0; wait; cat "$_cg"/* 2>/dev/null; rm -rf "$_cg"; }`,
  probeFlush: "command_guard_flush",
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
