// The desired content of every file the agent owns, from this node's config and a snapshot of
// the valid peer records: a pure function. The same inputs give the same bytes, whatever order
// the records came in (everything is sorted, nothing depends on time or the Map's order), so an
// unchanged mesh rewrites nothing, tinc keeps its connections and BIRD its sessions.
import type { Allocation, Allocation6 } from "./allocations.js";
import type { AgentConfig } from "./config.js";
import type { BgpRole } from "../fields/topology.js";
import { byName, planSessions, planSessions6, renderPeersFile } from "./bgp-sessions.js";
import { agentPaths } from "./paths.js";
import type { PeerRecord, PeerRecord6 } from "./record.js";
import { holdSessions, type HeldSession } from "./session-hold.js";

export { byName };

/** Up to this many other peers, every node has a ConnectTo to every other one. */
export const FULL_MESH_CONNECT_MAX = 8;
/** Beyond it, each node connects to this many successors in the ring of names. */
export const RING_CONNECT_COUNT = 3;
/** tinc's PingInterval (its default is 60): how soon a dead path is noticed; see renderTincConf. */
export const TINC_PING_INTERVAL_SECONDS = 10;
/** tinc's PingTimeout (its default, written out): how long a PING or PMTU probe waits for an answer. */
export const TINC_PING_TIMEOUT_SECONDS = 5;

export interface SkippedPeer {
  name: string;
  reason: string;
}

export interface DesiredState {
  /**
   * Absolute path → content, in the order to write them: the tinc host files first (a ConnectTo
   * names a host file that must already exist), then tinc.conf, then BIRD's peers.conf.
   */
  files: Map<string, string>;
  /** Peers with a host file, live and retained, sorted. */
  hostFilePeers: string[];
  /** The ConnectTo targets, in file order. */
  connectTo: string[];
  /** The BGP peers, sorted. */
  bgpPeers: string[];
  /** This node's place in the BGP topology: full mesh, reflector or client. */
  role: BgpRole;
  /** The peers with an IPv6 session, sorted. */
  bgpPeers6: string[];
  /** The sessions in peers.conf by protocol name, to pass back as `before` next time (held ones included). */
  sessions: Map<string, HeldSession>;
  /** When a held session's hold ends (ms): reconcile then. */
  nextSessionChangeAtMs?: number;
  /** Live peers left out of BIRD's file, and why (for the caller to log). */
  skipped: SkippedPeer[];
}

/**
 * @param peers the snapshot: valid records by name (may include this node's own record)
 * @param retainedHostFiles the last record of peers gone from etcd less than the grace period
 *   ago: they keep their tinc host file (a short etcd blip must not make tinc refuse a peer
 *   that is still there), but neither a ConnectTo nor a BGP session.
 * @param before the sessions of the last reconcile, and now: a session that changes kind is held
 *   (session-hold.ts); and peers.conf as it is on disk: a session in it keeps its timers
 * @param ipv6 the valid IPv6 records and IPv6 allocations: with them, and an IPv6 address of its
 *   own, this node has an IPv6 session with each peer that has an IPv4 one and an IPv6 record
 */
export function desiredState(
  config: AgentConfig,
  peers: ReadonlyMap<string, PeerRecord>,
  retainedHostFiles: ReadonlyMap<string, PeerRecord> = new Map(),
  allocations: ReadonlyMap<string, Allocation> = new Map(),
  before: { sessions: ReadonlyMap<string, HeldSession>; nowMs: number; peersFile?: string } = { sessions: new Map(), nowMs: 0 },
  ipv6: { peers6: ReadonlyMap<string, PeerRecord6>; allocations6: ReadonlyMap<string, Allocation6> } = { peers6: new Map(), allocations6: new Map() },
): DesiredState {
  const paths = agentPaths(config);
  // The Map's key is trusted only when it agrees with the record; this node is never its own peer.
  const live = [...peers].filter(([name, r]) => name === r.name && name !== config.name).map(([, r]) => r);
  live.sort((a, b) => byName(a.name, b.name));
  const liveNames = new Set(live.map((r) => r.name));
  const retained = [...retainedHostFiles]
    .filter(([name, r]) => name === r.name && name !== config.name && !liveNames.has(name))
    .map(([, r]) => r);

  const withHostFile = [...live, ...retained].sort((a, b) => byName(a.name, b.name));
  const files = new Map<string, string>();
  for (const r of withHostFile) files.set(paths.hostFile(r.name), renderHostFile(r));

  const connectTo = connectTargets(config.name, live.map((r) => r.name));
  files.set(paths.tincConf, renderTincConf(config, connectTo));

  const { bgp, skipped } = bgpPeers(config, live);
  const trusted = config.requireAllocations ? allocations : undefined;
  const trusted6 = config.requireAllocations ? ipv6.allocations6 : undefined;
  const { role, sessions: wanted4 } = planSessions(config, bgp, trusted, before.peersFile);
  const wanted6 = planSessions6(config, bgp, ipv6.peers6, trusted, trusted6, before.peersFile);
  const held = holdSessions(before.sessions, [...wanted4, ...wanted6], new Set(bgp.map((r) => r.name)), before.nowMs);
  const sessions = [...held.sessions.values()];
  files.set(paths.birdPeersFile, renderPeersFile(config, sessions, trusted, trusted6));

  return {
    files,
    hostFilePeers: withHostFile.map((r) => r.name),
    connectTo,
    bgpPeers: sessions.filter((s) => s.family === 4).map((s) => s.name).sort(byName),
    bgpPeers6: sessions.filter((s) => s.family === 6).map((s) => s.name).sort(byName),
    skipped,
    role,
    sessions: held.sessions,
    ...(held.nextChangeAtMs !== undefined && { nextSessionChangeAtMs: held.nextChangeAtMs }),
  };
}

/**
 * Another node's tinc host file: Address and Port, then its public key inline. Never
 * PublicKeyFile: on this node that path would name this node's own key. No Subnet: the mesh runs
 * Mode = switch, where tinc learns MAC addresses and ignores Subnet for routing.
 */
export function renderHostFile(r: PeerRecord): string {
  return [
    `# tinc host file of ${r.name}, from its record in etcd (/peers/${r.name}).`,
    "# Written by the bgpmesh node agent: changes made here are overwritten.",
    `Address = ${r.endpoint.address}`,
    `Port = ${r.endpoint.port}`,
    r.tincPublicKey.trimEnd(),
    "",
  ].join("\n");
}

/**
 * Which peers this node names in ConnectTo. tinc needs only a connected graph of meta-connections
 * (traffic between two nodes goes direct over UDP once they know each other through it), and
 * every ConnectTo is a TCP connection that floods every edge change, so the set is small and
 * stable:
 * - up to FULL_MESH_CONNECT_MAX other peers: all of them;
 * - more: the RING_CONNECT_COUNT nodes that follow this one in the ring of all names (this node's
 *   included) sorted by name. Every node connects to its successors, so the ring alone keeps the
 *   mesh connected, each node has about 2×3 meta-connections, and a join or a departure changes
 *   the ConnectTo lines of only the 3 nodes before it in the ring.
 */
export function connectTargets(self: string, others: readonly string[]): string[] {
  const sorted = [...new Set(others)].filter((n) => n !== self).sort(byName);
  if (sorted.length <= FULL_MESH_CONNECT_MAX) return sorted;
  const ring = [...sorted, self].sort(byName);
  const at = ring.indexOf(self);
  const targets: string[] = [];
  for (let i = 1; i <= RING_CONNECT_COUNT; i++) targets.push(ring[(at + i) % ring.length]!);
  return targets;
}

/**
 * tinc.conf: the base settings the provisioner seeds it with (from the config, so a changed port
 * or interface reaches the file, which the provisioner writes only once), and the ConnectTo lines.
 *
 * KeyExpire is short on purpose. When a node restarts, tinc 1.0 sends its UDP key to each peer
 * unasked, over whatever path the half-built graph offers, and answers the peer's own request
 * over the direct connection: the two answers can arrive in the wrong order, and then the peer
 * encrypts with a key the node has already replaced ("Got unauthenticated packet" at debug 5).
 * That direction stays dead until the node renews its keys: with tinc's default of an hour, a
 * rebooted node stayed cut off from one peer. Renewing costs one key request per peer.
 *
 * PingInterval is short because it is how fast tinc 1.0 notices a broken underlay path, and only
 * then relays through a node both ends still reach. Cut two nodes off from each other and tinc
 * keeps sending to the dead path: UDP until the PMTU probe every PingInterval goes unanswered for
 * PingTimeout ("did not respond to UDP ping, restarting PMTU discovery"), and even then over their
 * direct meta-connection (their nexthop), which it drops only when a PING, sent once the link has
 * been quiet for PingInterval, gets no PONG within PingTimeout ("didn't respond to PING in 5
 * seconds"); only then does the graph route them through a third node. With tinc's default of 60 s
 * a lab pair was cut off for 60 s (and its BGP session with it); with 10 s, for 15-32 s (a key
 * renewal stalled on the dead meta-connection restarts the PMTU cycle, adding up to 16 s). The cost
 * is a PING/PONG per idle meta-connection and a PMTU probe burst per active peer every 10 s
 * instead of every 60 s. tincd reads both only when it starts (a HUP does not).
 */
export function renderTincConf(config: AgentConfig, connectTo: readonly string[]): string {
  return [
    `# tinc network ${config.meshName}, node ${config.name}.`,
    "# Written by the bgpmesh node agent (seeded by bgpmesh-provision): changes made here are overwritten.",
    `Name = ${config.name}`,
    "Mode = switch",
    `Port = ${config.tincPort}`,
    `KeyExpire = ${config.tincKeyExpireSeconds}`,
    `PingInterval = ${TINC_PING_INTERVAL_SECONDS}`,
    `PingTimeout = ${TINC_PING_TIMEOUT_SECONDS}`,
    "Device = /dev/net/tun",
    `Interface = ${config.meshInterface}`,
    `AddressFamily = ${tincAddressFamily(config.endpointAddress)}`,
    ...connectTo.map((n) => `ConnectTo = ${n}`),
    "",
  ].join("\n");
}

/**
 * tinc 1.0 passes AddressFamily as the family hint of every getaddrinfo it makes: for its listening
 * sockets (ipv4: 0.0.0.0 only) and for each peer's `Address` (ipv4: an IPv6 address fails to
 * resolve, "Error looking up", and tinc never dials it). A node whose own endpoint is IPv6 must at
 * least listen on IPv6, so it gets `any`: a v6-only listening socket beside the IPv4 one, and peers
 * dialled at whichever family their Address has, so such a node on a dual-stack host still reaches
 * IPv4 peers. Every other node keeps `ipv4`, byte for byte what it had before IPv6 endpoints existed:
 * an upgraded agent rewrites nothing and tinc is not restarted. (A DNS-name endpoint stays ipv4 too.)
 */
export function tincAddressFamily(endpointAddress: string): "ipv4" | "any" {
  return endpointAddress.includes(":") ? "any" : "ipv4";
}

/**
 * The live peers BIRD gets a session with. A mesh address must belong to one node: a peer
 * claiming this node's own address, or two peers claiming the same one, are left out (and
 * reported) rather than guessing which is right; two `neighbor` lines for one address would only
 * fight over the same TCP session. So is a peer with this node's router id.
 */
function bgpPeers(config: AgentConfig, live: readonly PeerRecord[]): { bgp: PeerRecord[]; skipped: SkippedPeer[] } {
  const claims = new Map<string, number>();
  for (const r of live) claims.set(r.meshAddress, (claims.get(r.meshAddress) ?? 0) + 1);
  const bgp: PeerRecord[] = [];
  const skipped: SkippedPeer[] = [];
  for (const r of live) {
    if (r.meshAddress === config.meshAddress) skipped.push({ name: r.name, reason: "its mesh address is this node's own" });
    // BGP refuses a neighbour whose identifier is its own: the session could never come up.
    else if (r.routerId === config.routerId) skipped.push({ name: r.name, reason: "its router id is this node's own" });
    else if ((claims.get(r.meshAddress) ?? 0) > 1) skipped.push({ name: r.name, reason: "another peer has the same mesh address" });
    else bgp.push(r);
  }
  return { bgp, skipped };
}

