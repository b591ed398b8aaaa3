// A node's allocation: what it may announce over BGP, derived from the inventory (bgp_announce as
// exact ranges, bgp_allowed_prefixes as written) and kept under ALLOCATIONS_PREFIX in etcd, where
// only the controller writes. The agent checks a peer's prefixes against it: a node that announces
// more than the inventory gave it is refused by the others, not only by its own config check.
import { z } from "zod";
import { MAX_PREFIXES, routerIdField, unicastIpv4Field } from "./ipv4.js";
import { unicastIpv6Field } from "./ipv6.js";
import { tincNameField } from "./names.js";
import { parsePrefix } from "./prefix.js";
import { prefixRangeFieldOf, rangeCovers } from "./prefix-range.js";

export const ALLOCATIONS_PREFIX = "/allocations/";

/**
 * Everything of IPv6 lives under its own prefix, which agents of the previous version neither
 * read nor may read: their schemas are strict, and an IPv6 field in /peers/<name> or
 * /allocations/<name> would make them refuse the whole node. /ipv6/peers/<name> is the node's
 * (on the same lease as its record), /ipv6/allocations/<name> the controller's.
 */
export const IPV6_PREFIX = "/ipv6/";
export const ALLOCATIONS6_PREFIX = "/ipv6/allocations/";

/** bgp_announce and bgp_allowed_prefixes, each at most MAX_PREFIXES long. */
export const MAX_ALLOCATION_RANGES = 2 * MAX_PREFIXES;

export const allocationSchema = z.strictObject({
  version: z.literal(1),
  name: tincNameField,
  meshAddress: unicastIpv4Field,
  routerId: routerIdField,
  prefixes: z.array(prefixRangeFieldOf(4)).max(MAX_ALLOCATION_RANGES, { error: `at most ${MAX_ALLOCATION_RANGES} ranges` }),
  // Present (true) only on a route reflector (the inventory group route_reflectors). Absent
  // otherwise, so a mesh without reflectors publishes exactly what agents of the previous version accept.
  routeReflector: z.literal(true).optional(),
});

export type Allocation = z.infer<typeof allocationSchema>;

/** A node's IPv6 allocation: its IPv6 mesh address and the IPv6 ranges it may announce. */
export const allocation6Schema = z.strictObject({
  version: z.literal(1),
  name: tincNameField,
  meshAddress6: unicastIpv6Field,
  prefixes: z.array(prefixRangeFieldOf(6)).max(MAX_ALLOCATION_RANGES, { error: `at most ${MAX_ALLOCATION_RANGES} ranges` }),
});

export type Allocation6 = z.infer<typeof allocation6Schema>;

/** True when one of the allocation's ranges admits the prefix (CIDR text, either family); false for text that is no prefix. */
export function allocationCovers(allocation: Pick<Allocation, "prefixes">, prefix: string): boolean {
  const cidr = parsePrefix(prefix);
  return cidr !== undefined && allocation.prefixes.some((r) => rangeCovers(r, cidr));
}
