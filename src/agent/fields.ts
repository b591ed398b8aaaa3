// The field validators the peer record (from etcd, untrusted) and the agent's config file share.
// Every value that reaches a tinc or BIRD file passes one of these. Each is a strict pattern on
// the whole string, so nothing with a newline, a space, a `#`, `;`, `{` or `=` gets through:
// no value can end its line and start a tinc directive or a BIRD statement of its own.
import { z } from "zod";

/** tinc's node names (tinc.conf(5) "Name": letters, digits and `_`); also a file name in hosts/. */
export const TINC_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** A tinc network name: the provisioner's rule (derive.ts), a directory under /etc/tinc. */
export const MESH_NAME = /^[A-Za-z0-9_]{1,15}$/;

/** tinc's KeyExpire in seconds, as the provisioner (derive.ts) and the agent's config accept it. */
export const TINC_KEY_EXPIRE = { min: 10, max: 86400 } as const;

/**
 * The BGP password, written inside a BIRD string (`password "...";`): printable ASCII without `"`
 * (it would end the string) or a backslash (an escape in newer BIRD versions), at most 80
 * characters: Linux's limit for a TCP MD5 key (TCP_MD5SIG_MAXKEYLEN).
 */
export const BIRD_PASSWORD = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,80}$/;

/** A Linux interface name: at most 15 characters (IFNAMSIZ 16 with the NUL). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

// Decimal octets without leading zeros: "010.0.0.1" is refused because inet_aton (tinc's resolver)
// reads it as octal 8.0.0.1 while BIRD reads 10.0.0.1. One spelling per address also keeps
// rendered files byte-identical.
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export function ipv4ToNumber(text: string): number | undefined {
  if (!IPV4.test(text)) return undefined;
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
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

// RFC 1123 labels. The last label must start with a letter: then no name can be something
// inet_aton would read as an address ("10.1", "0x7f000001", "1.2.3.999" are not host names).
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const LAST_LABEL = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DNS_NAME = new RegExp(`^(?:${LABEL}\\.)*${LAST_LABEL}$`);

export function isDnsName(text: string): boolean {
  return text.length <= 253 && DNS_NAME.test(text);
}

const CIDR = new RegExp(`^(${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET})/(3[0-2]|[12]?[0-9])$`);

/** "a.b.c.d/len" with no host bits set (BIRD would refuse `route 10.0.0.1/24`); else undefined. */
export function parseCidr(text: string): { network: number; prefixlen: number } | undefined {
  const m = CIDR.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const network = ipv4ToNumber(m[1]);
  const prefixlen = Number(m[2]);
  if (network === undefined || network % 2 ** (32 - prefixlen) !== 0) return undefined;
  return { network, prefixlen };
}

// The zod forms. Messages are fixed text: a rejection never repeats the value it rejected.

export const tincNameField = z.string().regex(TINC_NAME, { error: "must be 1 to 64 letters, digits or _" });

export const unicastIpv4Field = z
  .string()
  .refine(isUnicastIpv4, { error: "must be a unicast IPv4 address like 10.0.0.5 (no leading zeros)" });

/** BIRD's router id: any IPv4 address but 0.0.0.0, which BIRD refuses. */
export const routerIdField = z
  .string()
  .refine((s) => isIpv4(s) && s !== "0.0.0.0", { error: "must be an IPv4 address like 10.0.0.5, not 0.0.0.0" });

/** Where tinc connects to: written as `Address = ...`, resolved by tinc. */
export const endpointAddressField = z
  .string()
  .refine((s) => isUnicastIpv4(s) || isDnsName(s), { error: "must be a unicast IPv4 address or a DNS name" });

export const portField = z
  .number({ error: "must be a port number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be a port from 1 to 65535" })
  .max(65535, { error: "must be a port from 1 to 65535" });

/** Announced prefixes: canonical CIDRs, no duplicates, a bounded list. */
export const prefixListField = z
  .array(z.string().refine((s) => parseCidr(s) !== undefined, { error: "must be an IPv4 network like 192.0.2.0/24 with no host bits set" }))
  .max(256, { error: "at most 256 prefixes" })
  .refine((list) => new Set(list).size === list.length, { error: "has a prefix twice" });

/**
 * Turns zod issues into `key: problem` lines that name the field but never echo its value.
 * `input` is what was parsed: zod 4 leaves the input out of its issues, and a missing key is
 * told apart from a wrong type by looking the path up in it.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const key = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(top level)";
    return `${key}: ${problemOf(issue, input)}`;
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function problemOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (valueAt(input, issue.path) === undefined) return "is missing";
      // Our own message when the schema gave one; zod's default names the received type, keep it short.
      return issue.message.startsWith("Invalid input") ? `must be ${article(issue.expected)}` : issue.message;
    case "unrecognized_keys":
      // zod's own message lists the keys, which come from the input: count them instead.
      return issue.keys.length === 1 ? "has an unknown key" : `has ${issue.keys.length} unknown keys`;
    case "custom":
    case "invalid_format":
    case "too_big":
    case "too_small":
    case "invalid_value":
    case "not_multiple_of":
      return issue.message; // our own fixed text, or zod's, which states limits, not the input
    default:
      return "is invalid";
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
