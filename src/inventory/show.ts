import { Document, isMap, isScalar } from "yaml";
import { collectSecrets, maskSecrets, Redactor } from "./secret.js";
import type { Inventory, VarOrigin } from "./model.js";
import { resolveHostVars, varValues, type ResolvedHostVars } from "./resolve.js";

export function describeOrigin(o: VarOrigin): string {
  const place = o.line > 0 ? `${o.file}:${o.line}:${o.column}` : o.file;
  const level = { role_default: "role default", group: `group ${o.group ?? "?"}`, host: "host", extra: "extra vars" }[o.level];
  return `${place} (${level})`;
}

/**
 * One host's resolved variables as YAML, by name, each under a comment saying where its value was set.
 * Secrets print as the marker; the text is also scrubbed of secret values as a second line of defence.
 */
export function hostVarsYaml(resolved: ResolvedHostVars, groups: readonly string[] = []): string {
  const names = [...resolved.vars.keys()].sort();
  const doc = new Document(maskSecrets(Object.fromEntries(names.map((n) => [n, resolved.vars.get(n)?.value]))));
  doc.commentBefore = ` host ${resolved.host}${groups.length ? ` (groups: ${groups.join(", ")})` : ""}`;
  for (const pair of isMap(doc.contents) ? doc.contents.items : []) {
    if (!isScalar(pair.key)) continue;
    const def = resolved.vars.get(String(pair.key.value));
    if (def) pair.key.commentBefore = ` from ${describeOrigin(def.origin)}`;
  }
  const text = names.length ? doc.toString() : `#${doc.commentBefore}\n{}\n`;
  return new Redactor(collectSecrets(resolved.vars)).redact(text);
}

/**
 * The inventory in ansible-inventory --list's JSON shape: one entry per group with its direct hosts and
 * child groups, and every host's resolved variables under _meta.hostvars, secrets masked.
 */
export function inventoryList(inv: Inventory, roleDefaults?: Record<string, unknown>): Record<string, unknown> {
  const hostvars = [...inv.hosts.keys()].map((h) => [h, maskSecrets(varValues(resolveHostVars(inv, h, roleDefaults)))]);
  const groups = [...inv.groups.values()].map((g) => [
    g.name,
    { ...(g.hosts.length && { hosts: g.hosts }), ...(g.children.length && { children: g.children }) },
  ]);
  return { _meta: { hostvars: Object.fromEntries(hostvars) }, ...Object.fromEntries(groups) };
}
