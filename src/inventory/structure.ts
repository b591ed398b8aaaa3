import { isMap, isScalar } from "yaml";
import { InventoryError, type SourcePos } from "./errors.js";
import { NAME_PATTERN, type Group, type Host } from "./model.js";
import { mergeVars, readVarsNode } from "./vars.js";
import { errorAt, keyName, posOf, type YamlSource } from "./yaml-source.js";

const GROUP_KEYS = ["hosts", "children", "vars"];
const NAME_RULE = "letters, digits, '-', '_' and '.'";

export interface Structure {
  groups: Map<string, Group>;
  hosts: Map<string, Host>;
}

const isEmpty = (node: unknown) => node === null || node === undefined || (isScalar(node) && node.value === null);

/**
 * Groups and hosts of an inventory in Ansible's YAML shape. A group named twice (under different parents)
 * is one group, and a host listed in several groups is one host whose variables merge, later ones in the
 * file replacing earlier ones.
 */
export function readStructure(src: YamlSource): Structure {
  const groups = new Map<string, Group>();
  const hosts = new Map<string, Host>();
  // Where each group is listed under each parent, to point at the line that closes a loop.
  const links = new Map<string, SourcePos>();
  const root = src.doc.contents;
  const top: SourcePos = { file: src.file, line: 1, column: 1 };

  const group = (name: string, at: SourcePos): Group => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, parents: [], children: [], hosts: [], depth: -1, vars: new Map(), defined: at }));
    return g;
  };
  const link = (parent: Group, child: Group, at: SourcePos) => {
    if (!child.parents.includes(parent.name)) child.parents.push(parent.name);
    if (!parent.children.includes(child.name)) parent.children.push(child.name);
    if (!links.has(`${parent.name}>${child.name}`)) links.set(`${parent.name}>${child.name}`, at);
  };

  const readHosts = (node: unknown, keyPath: string, g: Group) => {
    if (isEmpty(node)) return;
    if (!isMap(node)) throw errorAt(src, node, "expected a map of host names, each with its variables or nothing", keyPath);
    for (const pair of node.items) {
      const name = keyName(src, pair.key, keyPath);
      const at = posOf(src, pair.key);
      if (!NAME_PATTERN.test(name)) {
        throw errorAt(src, pair.key, `invalid host name '${name}' (${NAME_RULE}; ranges like node[1:3] are not supported)`, keyPath);
      }
      let host = hosts.get(name);
      if (!host) hosts.set(name, (host = { name, groups: [], vars: new Map(), defined: at }));
      if (!host.groups.includes(g.name)) host.groups.push(g.name);
      if (!g.hosts.includes(name)) g.hosts.push(name);
      mergeVars(host.vars, readVarsNode(src, pair.value, `${keyPath}.${name}`, "host"));
    }
  };

  const readGroup = (keyNode: unknown, node: unknown, keyPath: string, parent?: Group) => {
    const name = keyName(src, keyNode, keyPath);
    const at = posOf(src, keyNode);
    if (!NAME_PATTERN.test(name)) throw errorAt(src, keyNode, `invalid group name '${name}' (${NAME_RULE})`, keyPath);
    if (parent && name === "all") throw errorAt(src, keyNode, "group 'all' holds every host and cannot be a child", keyPath);
    const g = group(name, at);
    if (parent) link(parent, g, at);
    const path = keyPath ? `${keyPath}.${name}` : name;
    if (isEmpty(node)) return;
    if (!isMap(node)) throw errorAt(src, node, `expected a map with ${GROUP_KEYS.join(", ")}`, path);
    for (const pair of node.items) {
      const key = keyName(src, pair.key, path);
      if (key === "hosts") readHosts(pair.value, `${path}.hosts`, g);
      else if (key === "vars") mergeVars(g.vars, readVarsNode(src, pair.value, `${path}.vars`, "group", name));
      else if (key === "children") {
        if (isEmpty(pair.value)) continue;
        if (!isMap(pair.value)) throw errorAt(src, pair.value, "expected a map of group names", `${path}.children`);
        for (const child of pair.value.items) readGroup(child.key, child.value, `${path}.children`, g);
      } else {
        throw errorAt(src, pair.key, `unknown key '${key}' in group '${name}' (allowed: ${GROUP_KEYS.join(", ")})`, path);
      }
    }
  };

  if (isEmpty(root)) throw new InventoryError({ file: src.file, line: 0, column: 0 }, "the inventory is empty");
  if (!isMap(root)) throw errorAt(src, root, "expected a map of groups at the top level (normally just all:)");
  const all = group("all", top);
  link(all, group("ungrouped", top), top);
  for (const pair of root.items) {
    // Top-level groups other than all are children of all, as in Ansible.
    readGroup(pair.key, pair.value, "", keyName(src, pair.key, "") === "all" ? undefined : all);
  }
  if (hosts.size === 0) throw new InventoryError({ file: src.file, line: 0, column: 0 }, "the inventory lists no hosts");

  // As Ansible does: "all" lists no host itself, and hosts in no other group go to "ungrouped".
  all.hosts = [];
  const ungrouped = group("ungrouped", top);
  for (const host of hosts.values()) {
    host.groups = host.groups.filter((g) => g !== "all");
    if (host.groups.length === 0) {
      host.groups.push("ungrouped");
      if (!ungrouped.hosts.includes(host.name)) ungrouped.hosts.push(host.name);
    }
  }
  setDepths(groups, links);
  return { groups, hosts };
}

/** Depth from "all" for every group, refusing loops (a group among its own descendants). */
function setDepths(groups: Map<string, Group>, links: Map<string, SourcePos>): void {
  const depthOf = (g: Group, path: string[]): number => {
    if (g.depth >= 0) return g.depth;
    if (g.name === "all") return (g.depth = 0);
    let depth = 0;
    for (const p of g.parents) {
      if (path.includes(p)) {
        // In "contains" order: a → b → a reads "a has child b, which has child a".
        const loop = [...path.slice(path.indexOf(p)), p].reverse();
        const edges = loop.slice(1).map((child, i) => links.get(`${loop[i]}>${child}`) ?? g.defined);
        // Point at the edge written last: reading top-down, that is the one that closes the loop.
        const at = edges.reduce((a, b) => (b.line > a.line || (b.line === a.line && b.column > a.column) ? b : a));
        throw new InventoryError(at, `groups contain each other in a loop: ${loop.join(" → ")}`);
      }
      const parent = groups.get(p);
      if (parent) depth = Math.max(depth, depthOf(parent, [...path, p]) + 1);
    }
    return (g.depth = depth);
  };
  for (const g of groups.values()) depthOf(g, [g.name]);
}
