// Prefix ranges, as a BIRD or Cisco prefix-list entry writes them: "198.51.100.0/24" (that prefix
// only), "198.51.100.0/24 le 28" (it and its subnets down to /28), "198.51.100.0/24 ge 26 le 28"
// (its subnets of length 26 to 28). The inventory's bgp_allowed_prefixes is written so, and a
// node's allocation (allocation.ts) holds them as { prefix, ge, le } for the agent to check against.
import { z } from "zod";
import { parseCidr, prefixField, type Cidr } from "./ipv4.js";

export interface PrefixRange {
  /** canonical CIDR text, no host bits */
  prefix: string;
  /** the shortest and longest prefix length the range admits: prefixlen ≤ ge ≤ le ≤ 32 */
  ge: number;
  le: number;
}

// One space between the parts, lengths without a leading zero: one spelling per range.
const LENGTH = "(0|[1-9][0-9]?)";
const RANGE_TEXT = new RegExp(`^(\\S+)(?: ge ${LENGTH})?(?: le ${LENGTH})?$`);

/** The range, or what is wrong with the text (fixed wording besides the lengths). */
export function parsePrefixRange(text: string): PrefixRange | { problem: string } {
  const m = RANGE_TEXT.exec(text);
  const cidr = m ? parseCidr(m[1]!) : undefined;
  if (!m || !cidr) {
    return { problem: "is not a prefix range like 198.51.100.0/24, 198.51.100.0/24 le 28 or 198.51.100.0/24 ge 26 le 28 (no host bits set, no leading zeros)" };
  }
  const len = cidr.prefixlen;
  const ge = m[2] === undefined ? len : Number(m[2]);
  // Cisco's reading: "ge N" alone goes down to /32; "le N" alone starts at the prefix's own length.
  const le = m[3] === undefined ? (m[2] === undefined ? len : 32) : Number(m[3]);
  if (ge < len || ge > 32) return { problem: `has ge ${ge}: it must be from ${len} (the prefix's length) to 32` };
  if (le < len || le > 32) return { problem: `has le ${le}: it must be from ${len} (the prefix's length) to 32` };
  if (ge > le) return { problem: `has ge ${ge} above le ${le}` };
  return { prefix: m[1]!, ge, le };
}

/** The range as the inventory writes it, shortest form. */
export function formatPrefixRange(r: PrefixRange): string {
  const len = parseCidr(r.prefix)?.prefixlen;
  if (r.ge === len && r.le === len) return r.prefix;
  return r.ge === len ? `${r.prefix} le ${r.le}` : `${r.prefix} ge ${r.ge} le ${r.le}`;
}

/** True when `outer` holds every address of `inner` (a network contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.prefixlen > inner.prefixlen) return false;
  const size = 2 ** (32 - outer.prefixlen);
  return Math.floor(inner.network / size) === Math.floor(outer.network / size);
}

/** True when the range admits the prefix: inside the range's network, with a length from ge to le. */
export function rangeCovers(range: PrefixRange, prefix: Cidr): boolean {
  const net = parseCidr(range.prefix);
  return net !== undefined && prefix.prefixlen >= range.ge && prefix.prefixlen <= range.le && cidrContains(net, prefix);
}

// The zod form, for JSON (an allocation record): fixed messages, the value never repeated.
const length = z.number().int().min(0).max(32);

export const prefixRangeField = z
  .strictObject({ prefix: prefixField, ge: length, le: length })
  .refine((r) => {
    const len = parseCidr(r.prefix)?.prefixlen;
    return len === undefined || (len <= r.ge && r.ge <= r.le);
  }, { error: "must have prefix length ≤ ge ≤ le ≤ 32" });
