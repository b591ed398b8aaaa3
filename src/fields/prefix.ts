// A prefix of either family, for the rules that do not care which: containment, ranges
// (prefix-range.ts), the overlap checks of the inventory and verify's reading of kernel routes.
// Each family keeps its own spelling rules (ipv4.ts, ipv6.ts); this only puts both on one scale.
import { parseCidr } from "./ipv4.js";
import { parseCidr6 } from "./ipv6.js";

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  network: bigint;
  prefixlen: number;
  /** the address length: 32 or 128 */
  width: 32 | 128;
}

/** A CIDR of either family in its one spelling (no host bits, no leading zeros), else undefined. */
export function parsePrefix(text: string): Prefix | undefined {
  const v4 = parseCidr(text);
  if (v4) return { family: 4, network: BigInt(v4.network), prefixlen: v4.prefixlen, width: 32 };
  const v6 = parseCidr6(text);
  return v6 && { family: 6, network: v6.network, prefixlen: v6.prefixlen, width: 128 };
}

/** The family of a CIDR's text, without checking it: IPv6 text is the one with a colon. */
export const familyOf = (text: string): Family => (text.includes(":") ? 6 : 4);

/** True when `outer` holds every address of `inner` (a network contains itself); never across families. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.prefixlen > inner.prefixlen) return false;
  const shift = BigInt(outer.width - outer.prefixlen);
  return inner.network >> shift === outer.network >> shift;
}
