import { getGroup, getHost, groupsOf, type Inventory, type VarSet } from "./model.js";
import { collectSecrets, Redactor } from "./secret.js";
import { mergeVars, toVarSet } from "./vars.js";

/** A host's variables after precedence, each with the place that set the winning value. */
export interface ResolvedHostVars {
  host: string;
  vars: VarSet;
}

/**
 * Precedence, lowest first; a higher level replaces a variable of a lower one whole (no deep merge of
 * maps or lists, Ansible's default hash_behaviour=replace):
 *
 *   1. role defaults (given by the caller)
 *   2. group "all"
 *   3. other groups, shallower before deeper (a child group beats its parent); groups at the same depth
 *      in alphabetical order of name, so of two sibling groups the one later in the alphabet wins.
 *      Depth is the longest path from "all".
 *   4. the host
 *   5. extra vars (-e), highest
 *
 * Within a group or host, variables written in the inventory file come before (lose to) those in its
 * group_vars/ or host_vars/ files, and files in a folder apply in file name order. A host listed in
 * several groups with variables set inline takes, for each variable, the one written last in the file.
 * This is Ansible's order, minus the levels this tool does not have (play vars, facts, set_fact, ...).
 */
export function resolveHostVars(
  inv: Inventory,
  hostName: string,
  roleDefaults?: VarSet | Record<string, unknown>,
): ResolvedHostVars {
  const host = getHost(inv, hostName);
  const vars: VarSet = new Map();
  mergeVars(vars, toVarSet(roleDefaults, "role_default", "role defaults"));
  // groupsOf sorts "all" (depth 0) first, then by depth and name: exactly levels 2 and 3.
  for (const g of groupsOf(inv, hostName)) mergeVars(vars, getGroup(inv, g).vars);
  mergeVars(vars, host.vars, inv.extraVars);
  return { host: hostName, vars };
}

/** The values alone, by name, e.g. for a template. Secrets stay Secret objects. */
export function varValues(resolved: ResolvedHostVars): Record<string, unknown> {
  // fromEntries, not assignment: a variable named __proto__ must stay data.
  return Object.fromEntries([...resolved.vars].map(([name, def]) => [name, def.value]));
}

// An inventory is read once per run and never changes after: what it alone says of a host (its
// connection variables, its secrets) is resolved once, however many parts of a run ask.
const ownVars = new WeakMap<Inventory, Map<string, ResolvedHostVars>>();

function ownVarsOf(inv: Inventory): Map<string, ResolvedHostVars> {
  let all = ownVars.get(inv);
  if (!all) ownVars.set(inv, (all = new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h)]))));
  return all;
}

/** A host's variables from the inventory and -e alone (no role defaults), resolved once per inventory. */
export function inventoryVarsOf(inv: Inventory, host: string): ResolvedHostVars {
  // A host the inventory lacks: resolveHostVars says so.
  return ownVarsOf(inv).get(host) ?? resolveHostVars(inv, host);
}

const redactors = new WeakMap<Inventory, Redactor>();

/** Masks every secret value the inventory gives any host (connection errors may quote them). */
export function inventoryRedactor(inv: Inventory): Redactor {
  let r = redactors.get(inv);
  if (!r) redactors.set(inv, (r = new Redactor(collectSecrets([...ownVarsOf(inv).values()].map(varValues)))));
  return r;
}
