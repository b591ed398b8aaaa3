// What BIRD's config accepts of our values: the BGP password (inside a BIRD string) and the name
// of each peer's BGP protocol. The agent writes the protocols; verify and status read them back
// from `birdc show protocols`, so all of them name a peer's protocol with birdProtocolName.
import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * The BGP password, written inside a BIRD string (`password "...";`): printable ASCII without `"`
 * (it would end the string) or a backslash (an escape in newer BIRD versions), at most 80
 * characters: Linux's limit for a TCP MD5 key (TCP_MD5SIG_MAXKEYLEN).
 */
export const BIRD_PASSWORD = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,80}$/;

// The message is fixed text: a rejected password never reaches a log line.
export const birdPasswordField = z
  .string({ error: "must be a string" })
  .regex(BIRD_PASSWORD, { error: 'must be 1 to 80 printable ASCII characters without " or \\' });

/**
 * BFD's transmit and receive interval on the mesh interface, in milliseconds (BIRD's `min tx/rx
 * interval`; a peer is declared down after 3 missed intervals). Below 50 ms tincd's user-space
 * forwarding jitter alone trips it; above 10 s it is slower than BGP's own hold time.
 */
export const BFD_INTERVAL_MS = { min: 50, max: 10000 } as const;

/**
 * BGP's hold and keepalive times (seconds) on the sessions the agent writes while BFD watches the
 * peers. BFD notices a dead peer within about 3 intervals, so the hold time is only a fallback, and
 * every keepalive (and its TCP ack) is a packet through tincd on both nodes: with a 3 s keepalive
 * they were about a third of a route reflector client's mesh traffic. BIRD takes the lower hold
 * time of the two ends and scales its keepalive with it, so nodes with other values still agree.
 */
export const BGP_HOLD_TIME = { min: 3, max: 65535 } as const;
export const BGP_KEEPALIVE_TIME = { min: 1, max: 65535 } as const;

/** RFC 4271 suggests a third of the hold time: two lost keepalives must not end the session. */
export function keepaliveFitsHold(holdSeconds: number, keepaliveSeconds: number): boolean {
  return keepaliveSeconds * 3 <= holdSeconds;
}

/**
 * Graceful restart (RFC 4724). `graceful restart time`: how long the peers of a restarting node
 * keep its routes (as stale) waiting for it to come back; a node announces it in its capability,
 * in 12 bits. `graceful restart wait`: how long a restarted BIRD (started with -R) holds its
 * kernel routes from before waiting for its peers' routes: BIRD's default of 240 s would keep a
 * node's routing table frozen for 4 minutes whenever one of its peers never comes back.
 */
export const BGP_GRACEFUL_RESTART_TIME = { min: 5, max: 4095 } as const;
export const BIRD_GRACEFUL_RESTART_WAIT = { min: 1, max: 600 } as const;

/** BIRD's symbols are at most 64 characters (conf/conf.h SYM_MAX_LEN). */
export const BIRD_SYMBOL_MAX = 64;

/** Every peer's BGP protocol starts so; `birdc show protocols` is read for these alone. */
export const PEER_PROTOCOL_PREFIX = "peer_";
/** A peer's IPv6 session (mesh_ipv6). No IPv4 protocol name starts so: theirs go on with "_". */
export const PEER6_PROTOCOL_PREFIX = "peer6_";

/** Node names up to this long are used as they are in the protocol name. */
const PLAIN_NAME_MAX = 50;

/**
 * The BGP protocol's name for a peer (its tinc name): stable (so `birdc configure` leaves the
 * sessions of unchanged peers alone) and a valid BIRD symbol (starts with a letter, ≤ 64
 * characters). `peer_<name>` for names up to 50 characters (≤ 55 in all); a longer name keeps its
 * first 41 characters plus 16 hex digits of its SHA-256 (63 in all). The two forms differ in
 * length, so a short name can never produce a long name's symbol.
 */
export function birdProtocolName(name: string, family: 4 | 6 = 4): string {
  const prefix = family === 6 ? PEER6_PROTOCOL_PREFIX : PEER_PROTOCOL_PREFIX;
  if (name.length <= PLAIN_NAME_MAX) return `${prefix}${name}`;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 16);
  const symbol = `${prefix}${name.slice(0, 41)}_${hash}`;
  if (symbol.length > BIRD_SYMBOL_MAX) throw new Error("unreachable: BIRD symbol too long");
  return symbol;
}
