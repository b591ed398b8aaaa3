// A run limited to some hosts may need another: with etcd's per-node rights on, the first etcd
// member keeps the users, and a mesh host new to the cluster cannot register without its own.
// (Ansible would delegate that task to the member; here the member is part of the run for that
// duty alone: `tag` names it, and the run keeps only that host's resources tagged with it, so the
// rest of its roles, and the -e values meant for the hosts asked for, stay off it.)
import { hostsOf, type Inventory } from "../inventory/index.js";
import { ETCD_GROUP, MESH_GROUP } from "./derive.js";

/** The duty that brings the first etcd member into a run: the role resources tagged with it keep the users. */
export const ETCD_USERS_TAG = "etcd_users";

export function hostsAlsoNeeded(inv: Inventory, values: Map<string, Record<string, unknown>>, hosts: string[]): { host: string; why: string; tag: string }[] {
  if (!inv.groups.has(ETCD_GROUP) || !inv.groups.has(MESH_GROUP)) return [];
  const first = hostsOf(inv, ETCD_GROUP)[0];
  if (!first || hosts.includes(first) || values.get(first)?.["etcd_tls"] !== true) return [];
  const mesh = new Set(hostsOf(inv, MESH_GROUP));
  const asked = hosts.filter((h) => mesh.has(h));
  if (asked.length === 0) return [];
  return [{ host: first, why: `it keeps etcd's users, which ${asked.join(", ")} need${asked.length === 1 ? "s" : ""} to register`, tag: ETCD_USERS_TAG }];
}
