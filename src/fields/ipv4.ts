// IPv4 addresses, prefixes and subnets: the one definition the inventory checks (mesh/derive.ts),
// verify and the agent (its config file and the peer records it reads from etcd) share. A value
// the inventory checks accept must be one the agent accepts too: otherwise apply succeeds, the
// agent refuses its own config and restarts in a loop.
import { z } from "zod";

// zod's own formats: four decimal octets without leading zeros (and for cidrv4 a length of 0 to
// 32, also without a leading zero). "010.0.0.1" must be refused: inet_aton (iproute2, tinc's
// resolver) reads it as octal 8.0.0.1 while BIRD reads 10.0.0.1. One spelling per address also
// keeps rendered files byte-identical. Both are anchored on the whole string: no newline gets by.
const IPV4 = z.ipv4();
const CIDRV4 = z.cidrv4();

export function isIpv4(text: string): boolean {
  return IPV4.safeParse(text).success;
}

/** The address as a 32-bit number, or undefined when it is not one of zod's ipv4 spellings. */
export function ipv4ToNumber(text: string): number | undefined {
  if (!isIpv4(text)) return undefined;
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/**
 * An address a node can be reached at or speak from: not 0.0.0.0/8 ("this network"), not
 * 127.0.0.0/8 (loopback: it would point tinc or BGP at this very host), not 224.0.0.0/3
 * (multicast, reserved, broadcast).
 */
export function isUnicastIpv4(text: string): boolean {
  const n = ipv4ToNumber(text);
  if (n === undefined) return false;
  const first = Math.floor(n / 2 ** 24);
  return first !== 0 && first !== 127 && first < 224;
}

/** BIRD's router id: any IPv4 address but 0.0.0.0, which BIRD refuses. */
export function isRouterId(text: string): boolean {
  return isIpv4(text) && text !== "0.0.0.0";
}

export interface Cidr {
  network: number;
  prefixlen: number;
}

/**
 * "a.b.c.d/len" in zod's cidrv4 spelling with no host bits set, else undefined. Host bits are
 * refused on top of zod's format: BIRD refuses `route 10.0.0.1/24`, and two spellings of one
 * network would announce it twice.
 */
export function parseCidr(text: string): Cidr | undefined {
  if (!CIDRV4.safeParse(text).success) return undefined;
  const [addr = "", len = ""] = text.split("/");
  const network = ipv4ToNumber(addr);
  const prefixlen = Number(len);
  if (network === undefined || network % 2 ** (32 - prefixlen) !== 0) return undefined;
  return { network, prefixlen };
}

/** The mesh subnet's lengths: /30 still leaves two host addresses, /8 is plenty for any mesh. */
export const MESH_SUBNET_PREFIXLEN = { min: 8, max: 30 } as const;

export interface Subnet extends Cidr {
  size: number;
}

/** The mesh subnet (mesh_subnet): a CIDR as parseCidr reads it, /8 to /30. */
export function parseSubnet(text: string): Subnet | undefined {
  const cidr = parseCidr(text);
  if (!cidr || cidr.prefixlen < MESH_SUBNET_PREFIXLEN.min || cidr.prefixlen > MESH_SUBNET_PREFIXLEN.max) return undefined;
  return { ...cidr, size: 2 ** (32 - cidr.prefixlen) };
}

/** A host address of the subnet: neither its network nor its broadcast address. */
export function isHostAddress(subnet: Subnet, address: number): boolean {
  return address > subnet.network && address < subnet.network + subnet.size - 1;
}

// The zod forms. Messages are fixed text: a rejection never repeats the value it rejected.
// z.string() first, then the rule: a value of the wrong type is told "must be a string".

export const unicastIpv4Field = z
  .string()
  .refine(isUnicastIpv4, { error: "must be a unicast IPv4 address like 10.0.0.5 (no leading zeros)" });

export const routerIdField = z.string().refine(isRouterId, { error: "must be an IPv4 address like 10.0.0.5, not 0.0.0.0" });

/** The mesh subnet, as the inventory's mesh_subnet gives it. */
export const meshSubnetField = z.string().refine((s) => parseSubnet(s) !== undefined, {
  error: `must be an IPv4 subnet like 10.0.0.0/24 (/${MESH_SUBNET_PREFIXLEN.min} to /${MESH_SUBNET_PREFIXLEN.max}, no host bits set)`,
});

/** True when `address` is a host address (not the network or broadcast address) of `subnetText`. */
export function isHostAddressOf(subnetText: string, address: string): boolean {
  const subnet = parseSubnet(subnetText);
  const n = ipv4ToNumber(address);
  return subnet !== undefined && n !== undefined && isHostAddress(subnet, n);
}

const PREFIX_RULE = "must be an IPv4 network like 192.0.2.0/24 with no host bits set";

export const prefixField = z.string().refine((s) => parseCidr(s) !== undefined, { error: PREFIX_RULE });

/** At most this many announced prefixes per node: the record in etcd stays small. */
export const MAX_PREFIXES = 256;

/** Announced prefixes: canonical CIDRs, no duplicates, a bounded list. */
export const prefixListField = z
  .array(prefixField)
  .max(MAX_PREFIXES, { error: `at most ${MAX_PREFIXES} prefixes` })
  .refine((list) => new Set(list).size === list.length, { error: "has a prefix twice" });
