// IPv6 addresses and prefixes: the one definition the inventory checks (mesh/derive.ts), the
// agent (its config, the /ipv6/ records it reads from etcd) and verify share, as ipv4.ts is for
// IPv4. One spelling per address: the shortest form of RFC 5952 (lowercase, no leading zeros, the
// longest run of zero groups as "::"), which is also what `ip` and BIRD print. Two spellings of one
// address would render two different files, and two spellings of one prefix would announce it twice.
import { createHash } from "node:crypto";
import { isIPv6 } from "node:net";
import { z } from "zod";

/** The shortest spelling of an IPv6 address (WHATWG's URL serialiser is RFC 5952's), or undefined. */
export function canonicalIpv6(text: string): string | undefined {
  // isIPv6 first: URL also takes what is no address (a zone id "%eth0" is refused by both).
  if (!isIPv6(text)) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** An IPv6 address in its one spelling. */
export function isIpv6(text: string): boolean {
  return canonicalIpv6(text) === text;
}

/** The address as a 128-bit number; undefined when it is no IPv6 address (any spelling). */
export function ipv6ToBigInt(text: string): bigint | undefined {
  const canonical = canonicalIpv6(text);
  if (canonical === undefined) return undefined;
  const [head = "", tail] = canonical.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatIpv6(n: bigint): string {
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((n >> shift) & 0xffffn).toString(16));
  return canonicalIpv6(groups.join(":"))!;
}

const inPrefix = (n: bigint, network: bigint, prefixlen: number) => n >> BigInt(128 - prefixlen) === network >> BigInt(128 - prefixlen);

/**
 * An address a node can be reached at or speak from: not :: or ::1, not multicast (ff00::/8), not
 * link-local (fe80::/10: it needs an interface to mean anything), not an IPv4-mapped address.
 */
export function isUnicastIpv6(text: string): boolean {
  if (!isIpv6(text)) return false;
  const n = ipv6ToBigInt(text)!;
  return n > 1n && !inPrefix(n, 0xffn << 120n, 8) && !inPrefix(n, 0xfe80n << 112n, 10) && !inPrefix(n, 0xffffn << 32n, 96);
}

export interface Cidr6 {
  network: bigint;
  prefixlen: number;
}

/** "addr/len" with the address in its one spelling, len 0 to 128 without a leading zero, no host bits. */
export function parseCidr6(text: string): Cidr6 | undefined {
  const m = /^([0-9a-f:]+)\/(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!m || !isIpv6(m[1]!) || Number(m[2]) > 128) return undefined;
  const network = ipv6ToBigInt(m[1]!)!;
  const prefixlen = Number(m[2]);
  if (prefixlen < 128 && network % (1n << BigInt(128 - prefixlen)) !== 0n) return undefined;
  return { network, prefixlen };
}

/** The mesh's IPv6 subnet is a /64: the length every IPv6 link has, and room for any mesh. */
export const MESH_SUBNET6_PREFIXLEN = 64;

/** mesh_subnet6: a unicast /64 (a ULA fd00::/8 one when derived), no host bits set. */
export function parseSubnet6(text: string): Cidr6 | undefined {
  const cidr = parseCidr6(text);
  if (!cidr || cidr.prefixlen !== MESH_SUBNET6_PREFIXLEN || !isUnicastIpv6(formatIpv6(cidr.network | 1n))) return undefined;
  return cidr;
}

/**
 * The ULA /64 a mesh gets when mesh_subnet6 is unset: fd00::/8, then 40 bits of SHA-256 of the mesh
 * name as the global id (RFC 4193 asks for a pseudo-random one), subnet id 0. The same mesh name
 * gives the same subnet on every run and every controller.
 */
export function derivedSubnet6(meshName: string): string {
  const digest = createHash("sha256").update(`bgpmesh ula ${meshName}`).digest();
  let n = 0xfdn;
  for (let i = 0; i < 5; i++) n = (n << 8n) | BigInt(digest[i]!);
  return `${formatIpv6(n << 80n)}/64`;
}

/** A host address of the /64: not the subnet-router anycast address (all zero host bits). */
export function isHostAddress6(subnet: Cidr6, address: bigint): boolean {
  return inPrefix(address, subnet.network, subnet.prefixlen) && address !== subnet.network;
}

export function isHostAddress6Of(subnetText: string, address: string): boolean {
  const subnet = parseSubnet6(subnetText);
  const n = isIpv6(address) ? ipv6ToBigInt(address) : undefined;
  return subnet !== undefined && n !== undefined && isHostAddress6(subnet, n);
}

// The zod forms: fixed messages, never the value.

export const unicastIpv6Field = z
  .string()
  .refine(isUnicastIpv6, { error: "must be a unicast IPv6 address in its shortest form like fd00::5 (lowercase, zeros compressed)" });

export const meshSubnet6Field = z
  .string()
  .refine((s) => parseSubnet6(s) !== undefined, { error: "must be an IPv6 /64 like fd12:3456:789a::/64 (shortest form, no host bits set)" });
