// site.yml: the play list saying which hosts get which roles, as in an Ansible playbook:
//   - hosts: all            # a group, a host, "all", or a list of them
//     roles: [base, tinc]
import { access } from "node:fs/promises";
import { join } from "node:path";
import { hostsOf, InventoryError, type Inventory, type SourcePos } from "../inventory/index.js";
import { NAME_PATTERN } from "../inventory/index.js";
import { posOf, readYamlFile } from "../inventory/index.js";
import type { Play, PlayTarget, Project } from "./model.js";
import { roleFileOf } from "./role-file.js";
import { siteSchema } from "./role-schema.js";
import { keyPathOf, nodeAt, validateNode } from "./yaml-check.js";

export interface RoleRef {
  name: string;
  at: SourcePos & { key: string };
}

export interface Site {
  plays: Play[];
  /** every role named, with where, in order: to check that each exists */
  roleRefs: RoleRef[];
}

export async function readSite(siteFile: string, dir: string, env: NodeJS.ProcessEnv): Promise<Site> {
  const src = await readYamlFile(siteFile, env, dir);
  const root = src.doc.contents;
  const data = validateNode(src, root, siteSchema, "");
  const roleRefs: RoleRef[] = [];
  const plays = data.map((play, p): Play => {
    const place = (path: (string | number)[]) => ({ ...posOf(src, nodeAt(src, root, [p, ...path])), key: keyPathOf("", [p, ...path]) });
    // "etcd,mesh" as in Ansible patterns, besides a YAML list.
    const hosts: PlayTarget[] = (Array.isArray(play.hosts) ? play.hosts : [play.hosts]).flatMap((entry, i) => {
      const at = place(Array.isArray(play.hosts) ? ["hosts", i] : ["hosts"]);
      const names = entry.split(/[,:]/).map((n) => n.trim());
      return names.map((name) => {
        if (!NAME_PATTERN.test(name)) throw new InventoryError(at, `expected a group or host name, got ${JSON.stringify(entry)}`);
        return { name, at };
      });
    });
    const roles = play.roles.map((name, i) => {
      const at = place(["roles", i]);
      if (!NAME_PATTERN.test(name) || name === "." || name === "..") throw new InventoryError(at, `invalid role name ${JSON.stringify(name)}`);
      roleRefs.push({ name, at });
      return name;
    });
    return { hosts, roles, optional: play.optional === true };
  });
  return { plays, roleRefs };
}

/** Where each role named lives: the first folder of `dirs` holding roles/<name>/role.yml; fails at the first play naming a role none has. */
export async function findRoleDirs(dirs: string[], refs: RoleRef[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const ref of refs) {
    if (found.has(ref.name)) continue;
    const rel = roleFileOf(ref.name);
    let dir: string | undefined;
    for (const d of dirs) {
      if (await access(join(d, rel)).then(() => true, () => false)) {
        dir = d;
        break;
      }
    }
    if (dir === undefined) {
      const where = dirs.length > 1 ? " beside the site file, nor a shipped role of that name" : "";
      throw new InventoryError(ref.at, `unknown role '${ref.name}' (there is no ${rel}${where})`);
    }
    found.set(ref.name, dir);
  }
  return found;
}

/** Fails at the first play naming a group or host that the inventory lacks. */
export function checkPlayTargets(project: Project, inv: Inventory): void {
  for (const play of project.plays) {
    if (play.optional) continue;
    for (const t of play.hosts) {
      if (inv.groups.has(t.name) || inv.hosts.has(t.name)) continue;
      const groups = [...inv.groups.keys()].join(", ");
      throw new InventoryError(t.at, `unknown group or host '${t.name}' (not in ${inv.file}; its groups: ${groups})`);
    }
  }
}

const playMatches = (play: Play, inv: Inventory, host: string): boolean =>
  play.hosts.some((t) => t.name === host || (inv.groups.has(t.name) && hostsOf(inv, t.name).includes(host)));

/** A host's roles: those of every play that matches it, in play order, each once. */
export function rolesOfHost(project: Project, inv: Inventory, host: string): string[] {
  const roles = new Set<string>();
  for (const play of project.plays) {
    if (playMatches(play, inv, host)) for (const r of play.roles) roles.add(r);
  }
  return [...roles];
}

/**
 * The index of the first play that names the host (plays.length when none does). An apply runs
 * each host's roles in one go, so it cannot finish a play on every host before the next play
 * starts, as Ansible does; it keeps the part that matters: a host first named by a later play
 * starts only once the hosts of earlier plays are done. With the shipped site the etcd members
 * (first play) are up, with every node's user and allocation, before any other host's agent
 * starts looking for them.
 */
export function firstPlayOf(project: Project, inv: Inventory, host: string): number {
  const i = project.plays.findIndex((play) => playMatches(play, inv, host));
  return i < 0 ? project.plays.length : i;
}
