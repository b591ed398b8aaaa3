import { InventoryError, type SourcePos } from "./errors.js";

/** Host and group names: they become tinc node names and file names later, so no spaces, slashes or ranges. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Variable names: they are used as template variables, so identifiers only. */
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The precedence levels, lowest first. See resolve.ts and docs/inventory.md. */
export type VarLevel = "role_default" | "group" | "host" | "extra";

/** Where a variable's value was written, so a later error about the value can point there. */
export interface VarOrigin extends SourcePos {
  level: VarLevel;
  /** For level "group": which group. */
  group?: string;
}

export interface VarDef {
  value: unknown;
  origin: VarOrigin;
}

/** Variables by name; a Map so that names like "constructor" or "__proto__" are ordinary data. */
export type VarSet = Map<string, VarDef>;

export interface Group {
  name: string;
  /** Direct parents; every group but "all" has at least one. */
  parents: string[];
  children: string[];
  /** Hosts listed directly under this group. */
  hosts: string[];
  /** Length of the longest path from "all" ("all" is 0); deeper groups win in precedence. */
  depth: number;
  /** The group's own variables: inline `vars:` then group_vars files, later ones replacing earlier. */
  vars: VarSet;
  /** Where the group is first named. */
  defined: SourcePos;
}

export interface Host {
  name: string;
  /** Groups that list the host directly, in the order the inventory names them. */
  groups: string[];
  /** The host's own variables: inline ones then host_vars files, later ones replacing earlier. */
  vars: VarSet;
  /** Where the host is first listed. */
  defined: SourcePos;
}

export interface Inventory {
  /** The inventory file as the user named it. */
  file: string;
  /** Every file read (inventory, group_vars, host_vars), in reading order. */
  sources: string[];
  /** In order of first appearance in the inventory file. */
  groups: ReadonlyMap<string, Group>;
  hosts: ReadonlyMap<string, Host>;
  /** Variables given on the command line (-e), above everything else. */
  extraVars: VarSet;
}

/** Sort order for precedence: shallower first, then by name (code point order, as Ansible sorts). */
export function compareGroups(a: Group, b: Group): number {
  return a.depth - b.depth || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function getHost(inv: Inventory, name: string): Host {
  const host = inv.hosts.get(name);
  if (!host) throw new InventoryError({ file: inv.file, line: 0, column: 0, host: name }, `unknown host '${name}'`);
  return host;
}

export function getGroup(inv: Inventory, name: string): Group {
  const group = inv.groups.get(name);
  if (!group) throw new InventoryError({ file: inv.file, line: 0, column: 0 }, `unknown group '${name}'`);
  return group;
}

/** All hosts of a group, including those of its descendants, in inventory order. */
export function hostsOf(inv: Inventory, group: string): string[] {
  const members = new Set<string>();
  const visit = (g: Group): void => {
    for (const h of g.hosts) members.add(h);
    for (const c of g.children) visit(getGroup(inv, c));
  };
  visit(getGroup(inv, group));
  return [...inv.hosts.keys()].filter((h) => members.has(h));
}

/** Every group a host belongs to, directly or through a child group, in precedence order (lowest first). */
export function groupsOf(inv: Inventory, host: string): string[] {
  const found = new Map<string, Group>();
  const visit = (name: string): void => {
    if (found.has(name)) return;
    const g = getGroup(inv, name);
    found.set(name, g);
    g.parents.forEach(visit);
  };
  getHost(inv, host).groups.forEach(visit);
  return [...found.values()].sort(compareGroups).map((g) => g.name);
}
