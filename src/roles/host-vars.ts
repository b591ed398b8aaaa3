// Every host's template variables for one inventory: computed once per (project, inventory), since
// each host's templates may read every other host's values through `hostvars`.
import {
  collectSecrets,
  groupsOf,
  hostsOf,
  Redactor,
  resolveHostVars,
  varValues,
  type Inventory,
  type ResolvedHostVars,
  type VarOrigin,
  type VarSet,
} from "../inventory/index.js";
import { deriveMeshVars } from "../mesh/derive.js";
import { revealSecrets, secretValuesOf, type RenderScope } from "../render/index.js";
import type { Project } from "./model.js";
import { projectSecrets } from "./project.js";
import { checkPlayTargets, rolesOfHost } from "./site.js";

export interface HostTable {
  /** each inventory host's roles, in play order */
  roles: Map<string, string[]>;
  /** each inventory host's variables (role defaults of its own roles, then the inventory), Secrets kept */
  values: Map<string, Record<string, unknown>>;
  /** masks every secret of the inventory and of every role's defaults */
  redactor: Redactor;
  /** `facts`: what the host told of itself (its release), as template variables; they win over the inventory's, as Ansible's facts do */
  scope(host: string, facts?: Record<string, unknown>): RenderScope;
}

const tables = new WeakMap<Project, WeakMap<Inventory, HostTable>>();

/** Role defaults of several roles: a later role's default replaces an earlier one's. */
export function roleDefaults(project: Project, roles: readonly string[]): VarSet {
  const merged: VarSet = new Map();
  for (const r of roles) for (const [name, def] of project.roles.get(r)?.defaults ?? []) merged.set(name, def);
  return merged;
}

const DERIVED: VarOrigin = { file: "(derived from the inventory)", line: 0, column: 0, level: "role_default" };

/** The derived values rank as role defaults: they fill in what the inventory and -e leave unset. */
function withDerived(resolved: ResolvedHostVars, derived: Record<string, unknown> | undefined): ResolvedHostVars {
  const vars: VarSet = new Map(resolved.vars);
  for (const [name, value] of Object.entries(derived ?? {})) {
    const def = vars.get(name);
    if (!def || def.origin.level === "role_default") vars.set(name, { value, origin: DERIVED });
  }
  return { ...resolved, vars };
}

export function hostTable(project: Project, inv: Inventory): HostTable {
  let byInv = tables.get(project);
  if (!byInv) tables.set(project, (byInv = new WeakMap()));
  let table = byInv.get(inv);
  if (!table) byInv.set(inv, (table = buildTable(project, inv)));
  return table;
}

function buildTable(project: Project, inv: Inventory): HostTable {
  checkPlayTargets(project, inv);
  const hosts = [...inv.hosts.keys()];
  const roles = new Map(hosts.map((h) => [h, rolesOfHost(project, inv, h)]));
  const defaults = new Map(hosts.map((h) => [h, roleDefaults(project, roles.get(h) ?? [])]));
  // Mesh variables come from the whole inventory; they rank as defaults, so the inventory's own win.
  const resolved = new Map(hosts.map((h) => [h, resolveHostVars(inv, h, defaults.get(h))]));
  const derived = deriveMeshVars(inv, new Map(hosts.map((h) => [h, resolved.get(h)!.vars])));
  const values = new Map(hosts.map((h) => [h, varValues(withDerived(resolved.get(h)!, derived.get(h)))]));
  // Revealed once for all hosts: nunjucks must print secrets, while `values` keeps them wrapped.
  const hostvars = Object.fromEntries(hosts.map((h) => [h, revealSecrets(values.get(h))]));
  const groups = Object.fromEntries([...inv.groups.keys()].map((g) => [g, hostsOf(inv, g)]));
  const secretValues = secretValuesOf([...values.values()]);
  const redactor = new Redactor(collectSecrets([...values.values()]));
  redactor.add(projectSecrets(project));
  const scopes = new Map<string, RenderScope>();

  const scope = (host: string, facts: Record<string, unknown> = {}): RenderScope => {
    const key = `${host}\0${JSON.stringify(facts)}`;
    const known = scopes.get(key);
    if (known) return known;
    const own = hostvars[host] as Record<string, unknown>;
    const hostRoles = roles.get(host) ?? [];
    const magic = {
      inventory_hostname: host,
      inventory_hostname_short: host.split(".")[0] ?? host,
      // As Ansible has it: sorted by name, without "all".
      group_names: groupsOf(inv, host).filter((g) => g !== "all").sort(),
      groups,
      hostvars,
      bgpmesh_run_kind: project.runKind,
    };
    const s: RenderScope = {
      host,
      // fromEntries keeps a variable named __proto__ as data.
      context: Object.fromEntries([...Object.entries(own), ...Object.entries(facts), ...Object.entries(magic)]),
      secretValues,
      redactor,
      undefinedHint: hostRoles.length
        ? `(not set by the inventory, -e, or the role defaults of ${hostRoles.join(", ")})`
        : "(not set by the inventory or -e)",
    };
    scopes.set(key, s);
    return s;
  };
  return { roles, values, redactor, scope };
}
