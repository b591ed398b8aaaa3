// BGP sessions, from `birdc show protocols` and `birdc show protocols all`: the one reader the
// agent (its metrics), status and verify share. BIRD 2 prints, after a banner line (and, with
// `birdc -r`, an "Access restricted" line):
//   Name       Proto      Table      State  Since         Info
//   peer_node2 BGP        ---        up     04:01:02.345  Established
// (Since may hold a space with a long time format, so the Info column is not found by position:
// a session is established when the line of a peer_* BGP protocol has the word "Established".)
//
// `show protocols all` follows each such line with an indented block, ended by an empty line:
//     Channel ipv4
//       State:          UP
//       …
//       Routes:         1 imported, 3 filtered, 1 exported, 1 preferred
// BIRD (2.0.12 and 3.x alike, nest/proto.c channel_show_stats) prints "N filtered" only for a
// channel with `import keep filtered on`, and the Routes line only while the channel is up (for
// BGP: while the session is Established); a count not printed is read as 0.
import { PEER6_PROTOCOL_PREFIX, PEER_PROTOCOL_PREFIX } from "./bird.js";

export interface BgpSession {
  name: string;
  established: boolean;
}

export function parseShowProtocols(output: string): BgpSession[] {
  const sessions: BgpSession[] = [];
  for (const line of output.split("\n")) {
    const session = peerLine(line);
    if (session) sessions.push(session);
  }
  return sessions;
}

export function countEstablished(output: string): number {
  return parseShowProtocols(output).filter((s) => s.established).length;
}

/** The routes of one channel of a protocol, as its `Routes:` line counts them. */
export interface RouteCounts {
  /** accepted by the import filter, in the table */
  imported: number;
  /** refused by the import filter and kept (`import keep filtered`); 0 when BIRD does not say */
  filtered: number;
  exported: number;
}

export interface BgpProtocolStats extends BgpSession {
  /** per channel BIRD shows for the protocol (ipv4, ipv6); all 0 while the channel is down */
  channels: { ipv4?: RouteCounts; ipv6?: RouteCounts };
}

/** The peer_* BGP protocols of `birdc show protocols all`, with each channel's route counts. */
export function parseShowProtocolsAll(output: string): BgpProtocolStats[] {
  const protocols: BgpProtocolStats[] = [];
  let current: BgpProtocolStats | undefined;
  let channel: RouteCounts | undefined;
  for (const line of output.split("\n")) {
    if (!/^\s/.test(line)) {
      // A protocol's own line (or a banner, a header, an error): a new block starts either way.
      const session = peerLine(line);
      current = session && { ...session, channels: {} };
      if (current) protocols.push(current);
      channel = undefined;
      continue;
    }
    if (!current) continue;
    const ch = /^\s+Channel (\S+)\s*$/.exec(line)?.[1];
    if (ch !== undefined) {
      channel = { imported: 0, filtered: 0, exported: 0 };
      if (ch === "ipv4" || ch === "ipv6") current.channels[ch] = channel;
      continue;
    }
    const routes = /^\s+Routes:\s+(.*)$/.exec(line)?.[1];
    if (routes !== undefined && channel) {
      for (const [, n, what] of routes.matchAll(/(\d+) (imported|filtered|exported)\b/g)) channel[what as keyof RouteCounts] = Number(n);
    }
  }
  return protocols;
}

/** Routes filtered over every channel of the given protocols. */
export function totalFiltered(protocols: BgpProtocolStats[]): number {
  return protocols.reduce((sum, p) => sum + channelSum(p, "filtered"), 0);
}

/** One protocol's count of `what` over its channels. */
export function channelSum(p: BgpProtocolStats, what: keyof RouteCounts): number {
  return (p.channels.ipv4?.[what] ?? 0) + (p.channels.ipv6?.[what] ?? 0);
}

function peerLine(line: string): BgpSession | undefined {
  const cols = line.trim().split(/\s+/);
  const [name, proto] = cols;
  if (!name || !(name.startsWith(PEER_PROTOCOL_PREFIX) || name.startsWith(PEER6_PROTOCOL_PREFIX)) || proto !== "BGP") return undefined;
  return { name, established: cols.slice(2).includes("Established") };
}
