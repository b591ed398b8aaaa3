// The agent's etcd lease, which keeps its node's record /peers/<name> alive: the provisioner
// checks agent_lease_ttl in the inventory and derives its default, the agent checks its config.
import { doubledPerDoubling, type SizeBase } from "./mesh-size.js";

/** Seconds. etcd3 declares a lease lost after 2×TTL without a keepalive: below 5 s a busy event loop could do that. */
export const LEASE_TTL = { min: 5, max: 3600 } as const;

/** The lease TTL of a mesh of up to this many nodes when the inventory sets none. */
export const LEASE_TTL_BASE: SizeBase = { seconds: 10, nodes: 30 };

/**
 * The lease TTL a mesh of `nodes` gets when the inventory sets none: 10 s up to 30 nodes, doubled
 * per doubling beyond (40 s at 100 nodes). Every agent renews its lease every TTL/3 (etcd3's
 * keepalive), each renewal a gRPC message the etcd leader answers: with a fixed TTL, etcd's share
 * grows with the mesh (at 100 nodes and 10 s, 30 renewals a second). Here it stays at about 9 a
 * second. The price: a node that dies without revoking (power cut) keeps its record, and the
 * others its BGP peer entry, up to this long; BFD has dropped its sessions and routes long before.
 */
export function defaultLeaseTtl(nodes: number): number {
  return doubledPerDoubling(LEASE_TTL_BASE, nodes, LEASE_TTL.max);
}
