// What the controller says each node is: its allocation under /allocations/<name> in etcd (name,
// mesh address, router id, the prefix ranges it may announce), written by the first etcd member
// with the cluster's root identity during an apply; a node may read it and never write it. A node
// is the authority only on its liveness and its tinc key: with allocations required, a peer's
// record counts only when it agrees with the peer's allocation, and BIRD imports from that peer
// only the allocated ranges (desired-files.ts).
import { ALLOCATIONS6_PREFIX, ALLOCATIONS_PREFIX, allocation6Schema, allocationSchema, type Allocation, type Allocation6 } from "../fields/allocation.js";
import { parseJsonEntry } from "../fields/issues.js";
import { TINC_NAME } from "../fields/names.js";
import type { PeerRecord, PeerRecord6 } from "./record.js";

export { ALLOCATIONS6_PREFIX, ALLOCATIONS_PREFIX, type Allocation, type Allocation6 };

/** An allocation is well under 32 KiB even with 512 ranges. */
const MAX_ALLOCATION_BYTES = 64 * 1024;

export type AllocationResult = { ok: true; allocation: Allocation } | { ok: false; reason: string };
export type Allocation6Result = { ok: true; allocation6: Allocation6 } | { ok: false; reason: string };

/** Validates one /allocations/ entry. Never throws; the reason names the rule, never the value. */
export function parseAllocation(key: string, value: string): AllocationResult {
  const name = key.startsWith(ALLOCATIONS_PREFIX) ? key.slice(ALLOCATIONS_PREFIX.length) : "";
  if (!TINC_NAME.test(name)) return { ok: false, reason: "key is not /allocations/<name> with a valid tinc name" };
  const parsed = parseJsonEntry(value, allocationSchema, MAX_ALLOCATION_BYTES);
  if (!parsed.ok) return { ok: false, reason: `allocation: ${parsed.reason}` };
  if (parsed.data.name !== name) return { ok: false, reason: "allocation: name differs from the name in the key" };
  return { ok: true, allocation: parsed.data };
}

/** Validates one /ipv6/allocations/ entry, as parseAllocation does an IPv4 one. */
export function parseAllocation6(key: string, value: string): Allocation6Result {
  const name = key.startsWith(ALLOCATIONS6_PREFIX) ? key.slice(ALLOCATIONS6_PREFIX.length) : "";
  if (!TINC_NAME.test(name)) return { ok: false, reason: "key is not /ipv6/allocations/<name> with a valid tinc name" };
  const parsed = parseJsonEntry(value, allocation6Schema, MAX_ALLOCATION_BYTES);
  if (!parsed.ok) return { ok: false, reason: `IPv6 allocation: ${parsed.reason}` };
  if (parsed.data.name !== name) return { ok: false, reason: "IPv6 allocation: name differs from the name in the key" };
  return { ok: true, allocation6: parsed.data };
}

/** Why an IPv6 record may not stand for its node, or undefined when it agrees with the IPv6 allocation. */
export function disagreement6(record: PeerRecord6, allocation: Allocation6 | undefined): string | undefined {
  if (!allocation) return "no IPv6 allocation from the controller for this node";
  if (record.meshAddress6 !== allocation.meshAddress6) return "meshAddress6 differs from the node's IPv6 allocation";
  return undefined;
}

/**
 * Why a record may not stand for its node, or undefined when it agrees with the allocation. The
 * record's own prefixes are not compared: what a peer may announce is the allocation's ranges,
 * enforced by BIRD's import filter, so a record updated before its allocation (a new prefix being
 * rolled out) keeps its sessions.
 */
export function disagreement(record: PeerRecord, allocation: Allocation | undefined): string | undefined {
  if (!allocation) return "no allocation from the controller for this node";
  if (record.meshAddress !== allocation.meshAddress) return "meshAddress differs from the node's allocation";
  if (record.routerId !== allocation.routerId) return "routerId differs from the node's allocation";
  return undefined;
}
