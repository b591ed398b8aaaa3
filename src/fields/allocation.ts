// A node's allocation: what it may announce over BGP, derived from the inventory (bgp_announce as
// exact ranges, bgp_allowed_prefixes as written) and kept under ALLOCATIONS_PREFIX in etcd, where
// only the controller writes. The agent checks a peer's prefixes against it: a node that announces
// more than the inventory gave it is refused by the others, not only by its own config check.
import { z } from "zod";
import { MAX_PREFIXES, parseCidr, routerIdField, unicastIpv4Field } from "./ipv4.js";
import { tincNameField } from "./names.js";
import { prefixRangeField, rangeCovers } from "./prefix-range.js";

export const ALLOCATIONS_PREFIX = "/allocations/";

/** bgp_announce and bgp_allowed_prefixes, each at most MAX_PREFIXES long. */
export const MAX_ALLOCATION_RANGES = 2 * MAX_PREFIXES;

export const allocationSchema = z.strictObject({
  version: z.literal(1),
  name: tincNameField,
  meshAddress: unicastIpv4Field,
  routerId: routerIdField,
  prefixes: z.array(prefixRangeField).max(MAX_ALLOCATION_RANGES, { error: `at most ${MAX_ALLOCATION_RANGES} ranges` }),
  // Present (true) only on a route reflector (the inventory group route_reflectors). Absent
  // otherwise, so a mesh without reflectors publishes exactly what agents of the previous version accept.
  routeReflector: z.literal(true).optional(),
});

export type Allocation = z.infer<typeof allocationSchema>;

/** True when one of the allocation's ranges admits the prefix (CIDR text); false for text that is no prefix. */
export function allocationCovers(allocation: Pick<Allocation, "prefixes">, prefix: string): boolean {
  const cidr = parseCidr(prefix);
  return cidr !== undefined && allocation.prefixes.some((r) => rangeCovers(r, cidr));
}
