// Which BGP sessions need their routes filtered again after `birdc configure`. A peer's line in
// peers.conf carries its import filter (the prefixes it may announce). BIRD applies a changed
// filter to routes that arrive from then on, but a route that arrived a moment earlier, under the
// old filter, can stay "filtered" after the configure: seen on BIRD 2.0.12 when a node announced a
// new prefix just before its new record (with that prefix) reached the other nodes; before agent
// restarts kept records, the restart reset every session and hid it. `birdc reload in <peer>` asks
// the peer for its routes again (route refresh) and filters them anew, with no session reset.
// BIRD 3 renamed the command `birdc reload filters in <peer>` (nest/config.Y: RELOAD FILTERS IN);
// its birdc answers the old one with "No such command" and exit 1, and BIRD 2.0.12 (Debian 12)
// knows only the old one. Which BIRD answers is in the banner of every birdc reply
// ("BIRD 3.1.8 ready."), so the one to run follows from the configure's reply just before.

import { sessionLines } from "./bgp-sessions.js";

/** The sessions in both texts whose line changed (new and removed sessions need no reload). */
export function sessionsToReload(before: string, after: string): string[] {
  const old = sessionLines(before);
  return [...sessionLines(after)].filter(([name, line]) => old.has(name) && old.get(name) !== line).map(([name]) => name);
}

/** BIRD's major version from a birdc reply's banner ("BIRD 2.0.12 ready."), or undefined without one. */
export function birdMajor(birdcReply: string): number | undefined {
  const m = /^BIRD (\d+)\.\S* ready\.$/m.exec(birdcReply);
  return m ? Number(m[1]) : undefined;
}

/** `birdc reload in <peer>` (BIRD 2), or `birdc reload filters in <peer>` when `birdcReply` is BIRD 3's or later's. */
export const reloadInArgv = (session: string, birdcReply = ""): string[] =>
  (birdMajor(birdcReply) ?? 2) >= 3 ? ["birdc", "reload", "filters", "in", session] : ["birdc", "reload", "in", session];
