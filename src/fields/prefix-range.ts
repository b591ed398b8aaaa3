// Prefix ranges, as a BIRD or Cisco prefix-list entry writes them: "198.51.100.0/24" (that prefix
// only), "198.51.100.0/24 le 28" (it and its subnets down to /28), "198.51.100.0/24 ge 26 le 28"
// (its subnets of length 26 to 28); IPv6 alike ("2001:db8:100::/48 le 56"). The inventory's
// bgp_allowed_prefixes is written so, and a node's allocation (allocation.ts) holds them as
// { prefix, ge, le } for the agent to check against.
import { z } from "zod";
import { prefixField } from "./ipv4.js";
import { parsePrefix, prefixContains, type Family, type Prefix } from "./prefix.js";

export interface PrefixRange {
  /** canonical CIDR text, no host bits */
  prefix: string;
  /** the shortest and longest prefix length the range admits: prefixlen ≤ ge ≤ le ≤ 32 (128 for IPv6) */
  ge: number;
  le: number;
}

// One space between the parts, lengths without a leading zero: one spelling per range.
const LENGTH = "(0|[1-9][0-9]{0,2})";
const RANGE_TEXT = new RegExp(`^(\\S+)(?: ge ${LENGTH})?(?: le ${LENGTH})?$`);

/** The range, or what is wrong with the text (fixed wording besides the lengths). */
export function parsePrefixRange(text: string): PrefixRange | { problem: string } {
  const m = RANGE_TEXT.exec(text);
  const cidr = m ? parsePrefix(m[1]!) : undefined;
  if (!m || !cidr) {
    return {
      problem:
        "is not a prefix range like 198.51.100.0/24, 198.51.100.0/24 le 28, 198.51.100.0/24 ge 26 le 28 or 2001:db8::/48 le 56 (no host bits set, no leading zeros, IPv6 in its shortest form)",
    };
  }
  const len = cidr.prefixlen;
  const max = cidr.width;
  const ge = m[2] === undefined ? len : Number(m[2]);
  // Cisco's reading: "ge N" alone goes down to the longest prefix; "le N" alone starts at the prefix's own length.
  const le = m[3] === undefined ? (m[2] === undefined ? len : max) : Number(m[3]);
  if (ge < len || ge > max) return { problem: `has ge ${ge}: it must be from ${len} (the prefix's length) to ${max}` };
  if (le < len || le > max) return { problem: `has le ${le}: it must be from ${len} (the prefix's length) to ${max}` };
  if (ge > le) return { problem: `has ge ${ge} above le ${le}` };
  return { prefix: m[1]!, ge, le };
}

/** The range as the inventory writes it, shortest form. */
export function formatPrefixRange(r: PrefixRange): string {
  const len = parsePrefix(r.prefix)?.prefixlen;
  if (r.ge === len && r.le === len) return r.prefix;
  return r.ge === len ? `${r.prefix} le ${r.le}` : `${r.prefix} ge ${r.ge} le ${r.le}`;
}

/** True when the range admits the prefix: inside the range's network, same family, with a length from ge to le. */
export function rangeCovers(range: PrefixRange, prefix: Prefix): boolean {
  const net = parsePrefix(range.prefix);
  return net !== undefined && prefix.prefixlen >= range.ge && prefix.prefixlen <= range.le && prefixContains(net, prefix);
}

/** Ranges in a stable order: by family, network, length, ge, le (an allocation renders the same bytes every run). */
export function compareRanges(a: PrefixRange, b: PrefixRange): number {
  const [x, y] = [parsePrefix(a.prefix)!, parsePrefix(b.prefix)!];
  const keys: [bigint | number, bigint | number][] = [[x.family, y.family], [x.network, y.network], [x.prefixlen, y.prefixlen], [a.ge, b.ge], [a.le, b.le]];
  for (const [p, q] of keys) if (p !== q) return p < q ? -1 : 1;
  return 0;
}

/** The IPv6 prefix field: a CIDR in parseCidr6's spelling. */
export const prefix6Field = z.string().refine((s) => parsePrefix(s)?.family === 6, {
  error: "must be an IPv6 network like 2001:db8::/48 in its shortest form with no host bits set",
});

// The zod form, for JSON (an allocation record), one per family: the IPv4 one is what agents of
// the previous version accept under /allocations/. Fixed messages, the value never repeated.
export function prefixRangeFieldOf(family: Family) {
  const width = family === 4 ? 32 : 128;
  const length = z.number().int().min(0).max(width);
  return z
    .strictObject({ prefix: family === 4 ? prefixField : prefix6Field, ge: length, le: length })
    .refine((r) => {
      const len = parsePrefix(r.prefix)?.prefixlen;
      return len === undefined || (len <= r.ge && r.ge <= r.le);
    }, { error: `must have prefix length ≤ ge ≤ le ≤ ${width}` });
}

export const prefixRangeField = prefixRangeFieldOf(4);
