// BGP sessions, from `birdc show protocols`: the one reader the agent (its metrics), status and
// verify share. BIRD 2 prints, after a banner line:
//   Name       Proto      Table      State  Since         Info
//   peer_node2 BGP        ---        up     04:01:02.345  Established
// (Since may hold a space with a long time format, so the Info column is not found by position:
// a session is established when the line of a peer_* BGP protocol has the word "Established".)
import { PEER_PROTOCOL_PREFIX } from "./bird.js";

export interface BgpSession {
  name: string;
  established: boolean;
}

export function parseShowProtocols(output: string): BgpSession[] {
  const sessions: BgpSession[] = [];
  for (const line of output.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const [name, proto] = cols;
    if (!name || !name.startsWith(PEER_PROTOCOL_PREFIX) || proto !== "BGP") continue;
    sessions.push({ name, established: cols.slice(2).includes("Established") });
  }
  return sessions;
}

export function countEstablished(output: string): number {
  return parseShowProtocols(output).filter((s) => s.established).length;
}
