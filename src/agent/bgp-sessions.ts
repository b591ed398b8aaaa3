// BIRD's peers.conf: which BGP sessions this node has (src/fields/topology.ts: a full mesh, or
// route reflectors and their clients), and each one's line. Pure: the same inputs give the same
// bytes.
//
// Why one static `protocol bgp` per peer on a reflector too, not BIRD's dynamic `neighbor range`:
// every peer's import filter is its own allocation (a node may announce only what the controller
// gave it), and a dynamic session's filter is the template's, the same for all. A filter keyed on
// `from` would list every node and change with every join, so a join would still be a
// `birdc configure` on the reflectors: the one dynamic BGP saves. `birdc configure` adds the new
// protocol and keeps every unchanged session (bench/bird-configure.mjs measures it at 100 and
// 200 peers).
import type { Allocation, Allocation6 } from "./allocations.js";
import type { AgentConfig } from "./config.js";
import { BIRD_PASSWORD, birdProtocolName } from "../fields/bird.js";
import { bgpRole, hasSession, type BgpRole } from "../fields/topology.js";
import type { PeerRecord, PeerRecord6 } from "./record.js";

/**
 * How this node peers with one other: `peer` in a full mesh, `to-reflector` from a client,
 * `rr-client` from a reflector to its client, `reflector-peer` between two reflectors.
 */
export type SessionKind = "peer" | "to-reflector" | "rr-client" | "reflector-peer";

/** The kinds of session that carry other nodes' routes. */
export const REFLECTING_KINDS: ReadonlySet<SessionKind> = new Set(["to-reflector", "rr-client", "reflector-peer"]);

export interface BgpSession {
  /** the peer's name */
  name: string;
  /** the BGP protocol's name: one session per peer and family */
  protocol: string;
  family: 4 | 6;
  kind: SessionKind;
  /** the whole `protocol bgp … { … }` line */
  line: string;
}

/** The most routes one peer may have imported; beyond it BIRD drops the rest (action block). */
export const IMPORT_LIMIT = 1000;
/** The most routes one peer may send, refused ones included (they are kept, to be counted and shown). */
export const RECEIVE_LIMIT = 2000;
/**
 * The same from a reflector, which passes on every node's routes: each still within its owner's
 * allocation and via its owner (the filter bgpmesh_reflected), so the limit only bounds memory.
 * Fixed, not scaled with the mesh: a changed limit must not touch the line at every join.
 */
export const REFLECTED_IMPORT_LIMIT = 100_000;
export const REFLECTED_RECEIVE_LIMIT = 200_000;

/**
 * What differs between an IPv4 and an IPv6 session: the channel, bird.conf's template and static
 * protocol, and the names of the filters in peers.conf. The IPv4 names are those from before IPv6,
 * so an IPv4 mesh's peers.conf stays byte for byte what it was.
 */
interface FamilyNames {
  channel: "ipv4" | "ipv6";
  template: string;
  /** the filter of routes a reflector passes on: each in its owner's allocation, with its owner as next hop */
  reflected: string;
  /** the export of a reflector: its own prefixes (as bird.conf's export filter) and the routes it reflects */
  reflect: string;
  /** bird.conf's static protocol of this node's own prefixes */
  ownStatic: string;
}

const FAMILY: Record<4 | 6, FamilyNames> = {
  4: { channel: "ipv4", template: "mesh_peer", reflected: "bgpmesh_reflected", reflect: "bgpmesh_reflect", ownStatic: "bgpmesh_static" },
  6: { channel: "ipv6", template: "mesh_peer6", reflected: "bgpmesh_reflected6", reflect: "bgpmesh_reflect6", ownStatic: "bgpmesh_static6" },
};

/** A peer in one family: its name and its mesh address of that family (the session's neighbor). */
interface FamilyPeer {
  name: string;
  address: string;
}

/** A node's allocation in one family: the next hop its routes must have, and its ranges. */
export interface FamilyAllocation {
  name: string;
  address: string;
  prefixes: Allocation["prefixes"];
}

/**
 * This node's role and its sessions, sorted by peer name. `peers`: the live peers BIRD may have a
 * session with. `onDisk`: peers.conf as BIRD has it now (its sessions keep their timers).
 */
export function planSessions(
  config: AgentConfig,
  peers: readonly PeerRecord[],
  allocations?: ReadonlyMap<string, Allocation>,
  onDisk = "",
): { role: BgpRole; sessions: BgpSession[] } {
  const trusted = allocations && new Map([...allocations].map(([n, a]) => [n, { name: a.name, address: a.meshAddress, prefixes: a.prefixes }]));
  return planFamily(config, 4, peers.map((r) => ({ name: r.name, address: r.meshAddress })), allocations, trusted, onDisk);
}

/**
 * The IPv6 sessions: one with each peer that has an IPv6 record (peers6), beside its IPv4 session,
 * when this node has IPv6 itself. `peers` are the IPv4 peers that may have a session (live, not
 * skipped): a peer without one has no IPv6 session either. Roles come from the IPv4 allocations.
 */
export function planSessions6(
  config: AgentConfig,
  peers: readonly PeerRecord[],
  peers6: ReadonlyMap<string, PeerRecord6>,
  allocations?: ReadonlyMap<string, Allocation>,
  allocations6?: ReadonlyMap<string, Allocation6>,
  onDisk = "",
): BgpSession[] {
  if (config.meshAddress6 === undefined) return [];
  const claims = new Map<string, number>();
  for (const r of peers6.values()) claims.set(r.meshAddress6, (claims.get(r.meshAddress6) ?? 0) + 1);
  // As for IPv4 (desired-files.ts bgpPeers): an address claimed twice, or this node's own, has no session.
  const with6 = peers.flatMap((r) => {
    const r6 = peers6.get(r.name);
    return r6 && r6.name === r.name && r6.meshAddress6 !== config.meshAddress6 && claims.get(r6.meshAddress6) === 1 ? [{ name: r.name, address: r6.meshAddress6 }] : [];
  });
  const trusted = allocations && new Map([...(allocations6 ?? new Map<string, Allocation6>())].map(([n, a]) => [n, { name: a.name, address: a.meshAddress6, prefixes: a.prefixes }]));
  return planFamily(config, 6, with6, allocations, trusted, onDisk).sessions;
}

function planFamily(
  config: AgentConfig,
  family: 4 | 6,
  peers: readonly FamilyPeer[],
  allocations: ReadonlyMap<string, Allocation> | undefined,
  trusted: ReadonlyMap<string, FamilyAllocation> | undefined,
  onDisk: string,
): { role: BgpRole; sessions: BgpSession[] } {
  const names = FAMILY[family];
  const ch = names.channel;
  // Only the controller's allocations say who reflects (a record is the node's own word).
  const reflects = (name: string) => allocations?.get(name)?.routeReflector === true;
  const reflectors = allocations ? [...allocations.values()].filter((a) => a.routeReflector === true).length : 0;
  const role = bgpRole(reflects(config.name), reflectors);
  const password = passwordClause(config);
  const existing = sessionLines(onDisk);
  const sessions: BgpSession[] = [];
  for (const r of [...peers].sort((a, b) => byName(a.name, b.name))) {
    const peerRole = bgpRole(reflects(r.name), reflectors);
    if (!hasSession(role, peerRole)) continue;
    const kind: SessionKind =
      role === "mesh" ? "peer" : role === "client" ? "to-reflector" : peerRole === "client" ? "rr-client" : "reflector-peer";
    const own = trusted ? ownChannel(trusted.get(r.name)) : "";
    let body: string;
    if (kind === "peer") body = own ? ` ${ch} {${own} };` : "";
    else if (kind === "to-reflector") body = ` ${ch} {${reflectedChannel(names)} };`;
    // A reflector passes routes on (the template's `rr client` lets every session carry them) and
    // keeps every route's next hop (its owner): the template's `next hop self` would send all the
    // mesh's traffic through the reflector. Its own prefixes still go with its own address (a
    // blackhole route has no gateway: BIRD then uses the local address). Only channel options
    // differ from a full mesh's line: BIRD reloads the routes and keeps the session.
    else {
      const imports = kind === "rr-client" ? own : reflectedChannel(names);
      body = ` ${ch} {${imports} export filter ${names.reflect}; next hop self off; };`;
    }
    const protocol = birdProtocolName(r.name, family);
    const before = existing.get(protocol);
    const options = before === undefined ? sessionOptions(config) : keptOptions(before);
    sessions.push({ name: r.name, protocol, family, kind, line: `protocol bgp ${protocol} from ${names.template} { neighbor ${r.address};${options}${body}${password} }` });
  }
  return { role, sessions };
}

/**
 * peers.conf: a header, the filters the sessions use (only when one does, so a full mesh's file is
 * what it always was), then one session a line.
 */
export function renderPeersFile(
  config: AgentConfig,
  sessions: readonly BgpSession[],
  allocations?: ReadonlyMap<string, Allocation>,
  allocations6?: ReadonlyMap<string, Allocation6>,
): string {
  const lines = [
    // The same header as before reflectors existed: an upgrade leaves a full mesh's file as it was.
    `# The iBGP peers of ${config.name}: one per other mesh node, from their records in etcd.`,
    "# Written by the bgpmesh node agent: changes made here are overwritten. The template",
    "# mesh_peer is in /etc/bird/bird.conf, which includes this file.",
  ];
  if (allocations) lines.push("# Each peer's routes are imported only within the prefixes the controller allocated to it.");
  if (config.bgpPassword !== undefined) lines.push("# Holds the mesh's BGP password: the agent keeps it mode 0640, unreadable to other users.");
  // Which filters the lines use follows from their kinds (held sessions keep theirs), per family.
  const families: [4 | 6, FamilyAllocation[]][] = [
    [4, [...(allocations?.values() ?? [])].map((a) => ({ name: a.name, address: a.meshAddress, prefixes: a.prefixes }))],
    [6, [...(allocations6?.values() ?? [])].map((a) => ({ name: a.name, address: a.meshAddress6, prefixes: a.prefixes }))],
  ];
  for (const [family, ranges] of families) {
    const names = FAMILY[family];
    const of = sessions.filter((s) => s.family === family);
    if (of.some((s) => s.kind === "to-reflector" || s.kind === "reflector-peer")) lines.push(...reflectedFilter(config, names, ranges));
    if (of.some((s) => s.kind === "rr-client" || s.kind === "reflector-peer")) {
      lines.push(
        `filter ${names.reflect} {`,
        `  if source = RTS_STATIC && proto = "${names.ownStatic}" then accept;`,
        "  if source = RTS_BGP then accept;",
        "  reject;",
        "}",
      );
    }
  }
  // By peer, each peer's IPv4 session before its IPv6 one.
  lines.push(...[...sessions].sort((a, b) => byName(a.name, b.name) || a.family - b.family).map((s) => s.line));
  return `${lines.join("\n")}\n`;
}

/** Every other node's allocated prefixes, each only with that node's mesh address (of the family) as next hop. */
function reflectedFilter(config: AgentConfig, names: FamilyNames, allocations: readonly FamilyAllocation[]): string[] {
  const lines = ["# Routes through a reflector: each within its owner's allocation and via its owner, nothing else.", `filter ${names.reflected} {`];
  for (const a of [...allocations].sort((x, y) => byName(x.name, y.name))) {
    if (a.name === config.name || a.prefixes.length === 0) continue;
    lines.push(`  if bgp_next_hop = ${a.address} && net ~ [ ${prefixSet(a.prefixes)} ] then accept;`);
  }
  lines.push("  reject;", "}");
  return lines;
}

const reflectedChannel = (names: FamilyNames) =>
  ` import filter ${names.reflected}; import keep filtered on; receive limit ${REFLECTED_RECEIVE_LIMIT} action block; import limit ${REFLECTED_IMPORT_LIMIT} action block;`;

/**
 * A peer's own routes, overriding the template's `import all`: a prefix set of its allocated
 * ranges (BIRD's `prefix{ge,le}`), anything else refused, the mesh subnet and a default route
 * included unless allocated. Refused routes are kept as filtered, so `show protocols all` counts
 * them and `show route filtered` shows them (the receive limit bounds what a peer can make us
 * keep). Only the filter changes when an allocation does, so `birdc configure` re-imports the
 * routes (route refresh) and keeps the session.
 */
function ownChannel(allocation: FamilyAllocation | undefined): string {
  const ranges = allocation?.prefixes ?? [];
  const filter = ranges.length ? `import filter { if net ~ [ ${prefixSet(ranges)} ] then accept; reject; };` : "import none;";
  return ` ${filter} import keep filtered on; receive limit ${RECEIVE_LIMIT} action block; import limit ${IMPORT_LIMIT} action block;`;
}

function prefixSet(ranges: Allocation["prefixes"]): string {
  return ranges.map((r) => (r.ge === prefixLength(r.prefix) && r.le === r.ge ? r.prefix : `${r.prefix}{${r.ge},${r.le}}`)).join(", ");
}

const prefixLength = (prefix: string) => Number(prefix.slice(prefix.indexOf("/") + 1));

const PROTOCOL_LINE = /^protocol bgp (\S+) /;

/** The session lines of a peers.conf, by protocol name. */
export function sessionLines(text: string): Map<string, string> {
  const byName = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = PROTOCOL_LINE.exec(line);
    if (m) byName.set(m[1]!, line);
  }
  return byName;
}

/**
 * A session's own options, set when the session is created and kept for as long as it is in
 * peers.conf: BIRD 2.0.12 restarts a session whose timers or graceful restart options change
 * (bgp_reconfigure compares them), and a new setting must not reset every session of a running
 * mesh at once. A session takes the configured ones when it is made again (its peer leaves and
 * comes back, or this node's agent is stopped and started).
 * - Hold and keepalive times (config.bgpTimers), else bird.conf's template: 9 s and 3 s.
 * - Graceful restart (config.bgpGracefulRestart): this node asks its peers to keep its routes for
 *   restartSeconds when its BIRD restarts (`birdc graceful restart`, which the bird role makes
 *   BIRD's stop command, then BIRD started with -R). `bfd graceful`: a BFD failure of this peer
 *   is a graceful restart too. Without it BFD would undo every graceful restart: a restarting
 *   BIRD's BFD session goes down with it. A node that dies outright is then still withdrawn when
 *   its lease ends and its peers remove the session (or after restartSeconds, if sooner).
 */
const STICKY_CLAUSES = [/ hold time \d+; keepalive time \d+;/, / graceful restart on; graceful restart time \d+;(?: bfd graceful;)?/];

function sessionOptions(config: AgentConfig): string {
  const t = config.bgpTimers;
  const gr = config.bgpGracefulRestart;
  const timers = t ? ` hold time ${t.holdSeconds}; keepalive time ${t.keepaliveSeconds};` : "";
  const graceful = gr ? ` graceful restart on; graceful restart time ${gr.restartSeconds};${gr.bfdGraceful ? " bfd graceful;" : ""}` : "";
  return timers + graceful;
}

/** The options of a session as peers.conf has it (an older agent's line may have none). */
function keptOptions(line: string): string {
  return STICKY_CLAUSES.map((clause) => clause.exec(line)?.[0] ?? "").join("");
}

/**
 * ` password "...";` for every session when the config has a BGP password (TCP MD5, RFC 2385),
 * else "". The config already checked it; checked again because a `"` here would end the string
 * and let the rest of the value be BIRD statements. The error never holds the value.
 */
function passwordClause(config: AgentConfig): string {
  if (config.bgpPassword === undefined) return "";
  if (!BIRD_PASSWORD.test(config.bgpPassword)) throw new Error("bgpPassword cannot be written as a BIRD string");
  return ` password "${config.bgpPassword}";`;
}

/** Plain code-unit order: stable across machines and locales, unlike localeCompare. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
