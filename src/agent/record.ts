// The peer record: what each node puts under /peers/<name> in etcd (JSON), and its validation.
// Records come from etcd, which any node (or an admin's etcdctl) can write, so each is checked
// before it is used: a bad record is skipped and counted by the caller, and the rest of the mesh
// keeps working. No field is free text: every one has a strict pattern, so nothing in a record can
// end a line and add a tinc directive or a BIRD statement to a rendered file, and the name (which
// becomes a file name under hosts/) cannot leave that folder.
import { createPublicKey } from "node:crypto";
import { z } from "zod";
import {
  ALLOCATIONS6_PREFIX,
  ALLOCATIONS_PREFIX,
  disagreement,
  disagreement6,
  parseAllocation,
  parseAllocation6,
  type Allocation,
  type Allocation6,
  type Allocation6Result,
  type AllocationResult,
} from "./allocations.js";
import type { AgentConfig } from "./config.js";
import { isHostAddressOf, prefixListField, routerIdField, unicastIpv4Field } from "../fields/ipv4.js";
import { isHostAddress6Of, unicastIpv6Field } from "../fields/ipv6.js";
import { parseJsonEntry } from "../fields/issues.js";
import { prefix6ListField } from "../fields/prefix-list6.js";
import { TINC_NAME, tincNameField } from "../fields/names.js";
import { portField } from "../fields/ports.js";
import { endpointAddressField } from "../fields/tinc.js";

export const PEERS_PREFIX = "/peers/";
export const RECORD_VERSION = 1;

/** Larger values are refused before JSON.parse: a record is well under 2 KiB (an 8192-bit key PEM is ~1.5 KiB). */
export const MAX_RECORD_BYTES = 16 * 1024;

// tinc 1.0 wants PKCS#1 ("BEGIN RSA PUBLIC KEY"). Lines of base64 only, LF endings. tinc's host
// file parser stops reading directives at "-----BEGIN", but anything after the key would still be
// ours to render, so the PEM must be exactly one block and nothing else.
const PKCS1_PEM = /^-----BEGIN RSA PUBLIC KEY-----\n(?:[A-Za-z0-9+/]{1,76}\n)*[A-Za-z0-9+/]{0,76}={0,2}\n-----END RSA PUBLIC KEY-----\n?$/;
export const MIN_RSA_BITS = 2048;
/** Bigger keys gain nothing here and cost every node CPU; tinc's own key generation offers up to 8192. */
export const MAX_RSA_BITS = 8192;

/**
 * The key as the PEM OpenSSL writes for the parsed key (64-column base64, trailing newline): what
 * reaches a host file is re-encoded from the key material, never the record's text, and the same
 * key renders to the same bytes however the record wrapped it.
 */
const publicKeyField = z
  .string()
  .max(4096, { error: "is too long for an RSA public key" })
  .regex(PKCS1_PEM, { error: 'must be a PEM "BEGIN RSA PUBLIC KEY" (PKCS#1) block' })
  .transform((pem, ctx) => {
    let key;
    try {
      key = createPublicKey({ key: pem, format: "pem", type: "pkcs1" });
    } catch {
      ctx.addIssue({ code: "custom", message: "does not parse as an RSA public key" });
      return z.NEVER;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== "rsa") {
      ctx.addIssue({ code: "custom", message: "is not an RSA key" });
      return z.NEVER;
    }
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
      ctx.addIssue({ code: "custom", message: `must be an RSA key of ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, not ${bits}` });
      return z.NEVER;
    }
    return String(key.export({ type: "pkcs1", format: "pem" }));
  });

export const peerRecordSchema = z.strictObject({
  name: tincNameField,
  meshAddress: unicastIpv4Field,
  routerId: routerIdField,
  tincPublicKey: publicKeyField,
  endpoint: z.strictObject({ address: endpointAddressField, port: portField }),
  prefixes: prefixListField,
  version: z.literal(RECORD_VERSION, { error: `must be ${RECORD_VERSION}` }),
});

export type PeerRecord = z.output<typeof peerRecordSchema>;

export type ParseResult = { ok: true; record: PeerRecord } | { ok: false; reason: string };

/**
 * A node's IPv6 record, /ipv6/peers/<name>, beside its record and on the same lease: its IPv6
 * mesh address and IPv6 prefixes. A prefix of its own (allocations.ts says why) keeps agents of the
 * previous version, whose record schema is strict, seeing the record they know.
 */
export const PEERS6_PREFIX = "/ipv6/peers/";

export const peerRecord6Schema = z.strictObject({
  name: tincNameField,
  meshAddress6: unicastIpv6Field,
  prefixes: prefix6ListField,
  version: z.literal(RECORD_VERSION, { error: `must be ${RECORD_VERSION}` }),
});

export type PeerRecord6 = z.output<typeof peerRecord6Schema>;

export type ParseResult6 = { ok: true; record6: PeerRecord6 } | { ok: false; reason: string };

/** What this node knows of the mesh that every record must fit (from its config). */
export interface MeshBounds {
  /** the mesh subnet: every peer's mesh address is a host address of it */
  subnet?: string;
  /** the IPv6 mesh subnet: every peer's IPv6 mesh address is a host address of it */
  subnet6?: string;
  /** a record counts only when it agrees with its node's allocation (allocations.ts) */
  requireAllocation?: boolean;
}

/** What the node's config says every record must fit. */
export function meshBounds(config: AgentConfig): MeshBounds {
  return {
    ...(config.meshSubnet !== undefined && { subnet: config.meshSubnet }),
    ...(config.meshSubnet6 !== undefined && { subnet6: config.meshSubnet6 }),
    requireAllocation: config.requireAllocations,
  };
}

/** The record's node name from its etcd key, or undefined when the key is not /peers/<valid name>. */
export function nameFromKey(key: string): string | undefined {
  if (!key.startsWith(PEERS_PREFIX)) return undefined;
  const name = key.slice(PEERS_PREFIX.length);
  return TINC_NAME.test(name) ? name : undefined;
}

/**
 * Validates one etcd entry. Never throws. `reason` is short, one line, and safe to log: it names
 * the field and the rule, never the value (which may be an attack, or huge).
 */
export function parseRecord(key: string, value: string, mesh: MeshBounds = {}): ParseResult {
  const keyName = nameFromKey(key);
  if (keyName === undefined) return { ok: false, reason: "key is not /peers/<name> with a valid tinc name" };
  const parsed = parseJsonEntry(value, peerRecordSchema, MAX_RECORD_BYTES);
  if (!parsed.ok) return parsed;
  // /peers/a holding {"name": "b"} would let one node's key stand in for another's.
  if (parsed.data.name !== keyName) return { ok: false, reason: "name differs from the name in the key" };
  // An address outside the mesh (or its network or broadcast address) would become a BGP
  // neighbour and a tinc Subnet that pulls that address's traffic into the mesh.
  if (mesh.subnet && !isHostAddressOf(mesh.subnet, parsed.data.meshAddress)) {
    return { ok: false, reason: "meshAddress: must be a host address of the mesh subnet" };
  }
  return { ok: true, record: parsed.data };
}

/** Validates one /ipv6/peers/ entry, as parseRecord does a record. Never throws. */
export function parseRecord6(key: string, value: string, mesh: MeshBounds = {}): ParseResult6 {
  const keyName = key.startsWith(PEERS6_PREFIX) ? key.slice(PEERS6_PREFIX.length) : "";
  if (!TINC_NAME.test(keyName)) return { ok: false, reason: "key is not /ipv6/peers/<name> with a valid tinc name" };
  const parsed = parseJsonEntry(value, peerRecord6Schema, MAX_RECORD_BYTES);
  if (!parsed.ok) return parsed;
  if (parsed.data.name !== keyName) return { ok: false, reason: "name differs from the name in the key" };
  if (mesh.subnet6 && !isHostAddress6Of(mesh.subnet6, parsed.data.meshAddress6)) {
    return { ok: false, reason: "meshAddress6: must be a host address of the IPv6 mesh subnet" };
  }
  return { ok: true, record6: parsed.data };
}

/** An invalid entry of a snapshot: the key in a form safe to log, and why it was skipped. */
export interface InvalidEntry {
  key: string;
  reason: string;
}

/**
 * The previous snapshot's entries as parsed, by subnet, key and value: a reconcile after one node
 * joined parses that one record, not all of them again. On a 100-node lab every join made every
 * agent re-validate every record (an RSA key parse each), in Node's --lite-mode, which has no
 * optimising compiler. Results are plain data that nothing modifies.
 */
let lastParses = new Map<string, ParseResult | AllocationResult | ParseResult6 | Allocation6Result>();

function parseEntry(key: string, value: string, mesh: MeshBounds): ParseResult | AllocationResult | ParseResult6 | Allocation6Result {
  if (key.startsWith(ALLOCATIONS_PREFIX)) return parseAllocation(key, value);
  if (key.startsWith(ALLOCATIONS6_PREFIX)) return parseAllocation6(key, value);
  if (key.startsWith(PEERS6_PREFIX)) return parseRecord6(key, value, mesh);
  return parseRecord(key, value, mesh);
}

/**
 * Validates a whole snapshot (the /peers/ and /allocations/ listings): the valid records by name,
 * the valid allocations by name, and the invalid entries for the caller to count and log. With
 * `requireAllocation`, a valid record that disagrees with its allocation is invalid too.
 */
export function parseSnapshot(entries: Iterable<readonly [key: string, value: string]>, mesh: MeshBounds = {}): {
  peers: Map<string, PeerRecord>;
  allocations: Map<string, Allocation>;
  /** the valid IPv6 records (agreeing with their IPv6 allocation where allocations are required) */
  peers6: Map<string, PeerRecord6>;
  allocations6: Map<string, Allocation6>;
  invalid: InvalidEntry[];
} {
  const records: [string, PeerRecord][] = [];
  const records6: [string, PeerRecord6][] = [];
  const allocations = new Map<string, Allocation>();
  const allocations6 = new Map<string, Allocation6>();
  const invalid: InvalidEntry[] = [];
  const bounds = `${mesh.subnet ?? ""}\u0000${mesh.subnet6 ?? ""}`;
  const parses: typeof lastParses = new Map();
  for (const [key, value] of entries) {
    const id = `${bounds}\u0000${key}\u0000${value}`;
    const r = lastParses.get(id) ?? parseEntry(key, value, mesh);
    parses.set(id, r);
    if (!r.ok) invalid.push({ key: keyForLog(key), reason: r.reason });
    else if ("allocation" in r) allocations.set(r.allocation.name, r.allocation);
    else if ("allocation6" in r) allocations6.set(r.allocation6.name, r.allocation6);
    else if ("record6" in r) records6.push([key, r.record6]);
    else records.push([key, r.record]);
  }
  lastParses = parses;
  const peers = new Map<string, PeerRecord>();
  for (const [key, record] of records) {
    const why = mesh.requireAllocation ? disagreement(record, allocations.get(record.name)) : undefined;
    if (why) invalid.push({ key: keyForLog(key), reason: why });
    else peers.set(record.name, record);
  }
  const peers6 = new Map<string, PeerRecord6>();
  for (const [key, record] of records6) {
    const why = mesh.requireAllocation ? disagreement6(record, allocations6.get(record.name)) : undefined;
    if (why) invalid.push({ key: keyForLog(key), reason: why });
    else peers6.set(record.name, record);
  }
  return { peers, allocations, peers6, allocations6, invalid };
}

/** An etcd key as one quoted, escaped, bounded line: a key can hold newlines and control characters too. */
export function keyForLog(key: string): string {
  const cut = key.length > 100 ? `${key.slice(0, 100)}…` : key;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * This node's own record, from its config and its tinc public key (rsa_key.pub), validated by the
 * same schema as everyone else's: a node never publishes a record the others would refuse.
 */
export function ownRecord(config: AgentConfig, publicKeyPem: string): ParseResult {
  const record = {
    name: config.name,
    meshAddress: config.meshAddress,
    routerId: config.routerId,
    tincPublicKey: publicKeyPem,
    endpoint: { address: config.endpointAddress, port: config.tincPort },
    prefixes: config.prefixes,
    version: RECORD_VERSION,
  };
  return parseRecord(`${PEERS_PREFIX}${config.name}`, JSON.stringify(record), { subnet: config.meshSubnet });
}

/** This node's IPv6 record, or undefined without IPv6 (validated by the schema everyone else's is). */
export function ownRecord6(config: AgentConfig): ParseResult6 | undefined {
  if (config.meshAddress6 === undefined) return undefined;
  const record = { name: config.name, meshAddress6: config.meshAddress6, prefixes: config.prefixes6, version: RECORD_VERSION };
  return parseRecord6(`${PEERS6_PREFIX}${config.name}`, JSON.stringify(record), { subnet6: config.meshSubnet6 });
}
