// Route reflectors: the hosts of the inventory group `route_reflectors`. The controller tells
// every agent who reflects through the nodes' allocations in etcd (routeReflectorClusterId), which
// only it writes: a node cannot make itself a reflector, and turning reflectors on or off changes
// no file on the nodes, only what their agents configure (src/agent/bgp-sessions.ts).
import { hostsOf, InventoryError, type Inventory, type VarSet } from "../inventory/index.js";
import { isRouterId } from "../fields/ipv4.js";
import { bgpRole, FULL_MESH_WARN_NODES, hasSession, type BgpRole } from "../fields/topology.js";

export const REFLECTOR_GROUP = "route_reflectors";

/** The reflectors named by the inventory (empty without the group). */
export function reflectorHosts(inv: Inventory): string[] {
  return inv.groups.has(REFLECTOR_GROUP) ? hostsOf(inv, REFLECTOR_GROUP) : [];
}

/** Each mesh host's role, by the inventory. */
export function meshRoles(inv: Inventory, mesh: readonly string[]): Map<string, BgpRole> {
  const reflectors = new Set(reflectorHosts(inv));
  return new Map(mesh.map((h) => [h, bgpRole(reflectors.has(h), reflectors.size)]));
}

/** How many BGP sessions each mesh host should have (status), by the topology's one rule. */
export function expectedSessionCounts(inv: Inventory, mesh: readonly string[]): Map<string, number> {
  const roles = meshRoles(inv, mesh);
  return new Map(mesh.map((h) => [h, mesh.filter((o) => o !== h && hasSession(roles.get(h)!, roles.get(o)!)).length]));
}

/**
 * The cluster id every reflector's allocation carries, after the inventory's checks: reflectors
 * are mesh hosts, etcd runs over TLS (allocations exist only there), and bgp_rr_cluster_id, if
 * set, is one IPv4-shaped id for all of them. The default is fixed, so adding or removing a
 * reflector never changes the others' sessions.
 */
export function reflectorClusterId(inv: Inventory, mesh: readonly string[], vars: (h: string) => VarSet, tls: (h: string) => boolean): string | undefined {
  const reflectors = reflectorHosts(inv);
  if (reflectors.length === 0) return undefined;
  const where = { ...inv.groups.get(REFLECTOR_GROUP)!.defined, key: REFLECTOR_GROUP };
  const outside = reflectors.filter((h) => !mesh.includes(h));
  if (outside.length) {
    throw new InventoryError(where, `group ${REFLECTOR_GROUP} has ${outside.join(", ")}, not in group mesh: a route reflector is a mesh node`);
  }
  const plain = mesh.find((h) => !tls(h));
  if (plain) {
    const def = vars(plain).get("etcd_tls");
    throw new InventoryError(
      def ? { file: def.origin.file, line: def.origin.line, column: def.origin.column, key: "etcd_tls", host: plain } : where,
      `${plain}: etcd_tls is false, but group ${REFLECTOR_GROUP} needs it: the agents learn who reflects from the allocations, which only exist in etcd with TLS`,
    );
  }
  const ids = new Map<string, string>();
  for (const h of reflectors) {
    const def = vars(h).get("bgp_rr_cluster_id");
    if (def === undefined || def.value === null || def.value === undefined) continue;
    const id = String(def.value);
    if (!isRouterId(id)) {
      throw new InventoryError({ ...def.origin, key: "bgp_rr_cluster_id", host: h }, `${h}: bgp_rr_cluster_id '${id}' must be an IPv4-shaped id like 10.0.0.1, not 0.0.0.0`);
    }
    ids.set(h, id);
  }
  const distinct = [...new Set(ids.values())];
  if (distinct.length > 1) {
    const [h, id] = [...ids].find(([, v]) => v !== distinct[0])!;
    const def = vars(h).get("bgp_rr_cluster_id")!;
    throw new InventoryError(
      { ...def.origin, key: "bgp_rr_cluster_id", host: h },
      `${h}: bgp_rr_cluster_id ${id} differs from ${distinct[0]}: the reflectors of one mesh share one cluster id`,
    );
  }
  return distinct[0] ?? DEFAULT_CLUSTER_ID;
}

/** Any 32-bit value serves; one that is no host's address reads as what it is. */
export const DEFAULT_CLUSTER_ID = "0.0.0.1";

/** Warnings about the mesh's shape, for plan and apply to print before any host is contacted. */
export function topologyWarnings(inv: Inventory, mesh: readonly string[]): string[] {
  const reflectors = reflectorHosts(inv);
  if (reflectors.length === 0 && mesh.length > FULL_MESH_WARN_NODES) {
    const sessions = (mesh.length * (mesh.length - 1)) / 2;
    return [
      `the mesh is a full mesh of ${mesh.length} nodes (${sessions} BGP sessions, each with BFD): beyond ${FULL_MESH_WARN_NODES} nodes put two or more hosts in group ${REFLECTOR_GROUP} (docs/mesh.md, route reflectors)`,
    ];
  }
  if (reflectors.length === 1) {
    return [`group ${REFLECTOR_GROUP} has one host (${reflectors[0]}): when it is down every other node loses every route; use two or more`];
  }
  return [];
}
