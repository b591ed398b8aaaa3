// Route reflectors: the hosts of the inventory group `route_reflectors`. The controller tells
// every agent who reflects through the nodes' allocations in etcd (routeReflector), which
// only it writes: a node cannot make itself a reflector, and turning reflectors on or off changes
// no file on the nodes, only what their agents configure (src/agent/bgp-sessions.ts).
import { hostsOf, InventoryError, type Inventory, type VarSet } from "../inventory/index.js";
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

/**
 * How many BGP sessions each mesh host should have (status), by the topology's one rule: one per
 * peer, and a second (IPv6) with each such peer when both are in `ipv6` (mesh_ipv6).
 */
export function expectedSessionCounts(inv: Inventory, mesh: readonly string[], ipv6: ReadonlySet<string> = new Set()): Map<string, number> {
  const roles = meshRoles(inv, mesh);
  return new Map(
    mesh.map((h) => {
      const peers = mesh.filter((o) => o !== h && hasSession(roles.get(h)!, roles.get(o)!));
      return [h, peers.length + (ipv6.has(h) ? peers.filter((o) => ipv6.has(o)).length : 0)];
    }),
  );
}

/**
 * The inventory's checks of the group: reflectors are mesh hosts, and etcd runs over TLS
 * (allocations, which say who reflects, exist only there).
 */
export function checkReflectors(inv: Inventory, mesh: readonly string[], vars: (h: string) => VarSet, tls: (h: string) => boolean): void {
  const reflectors = reflectorHosts(inv);
  if (reflectors.length === 0) return;
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
}

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
