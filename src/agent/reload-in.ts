// Which BGP sessions need their routes filtered again after `birdc configure`. A peer's line in
// peers.conf carries its import filter (the prefixes it may announce). BIRD applies a changed
// filter to routes that arrive from then on, but a route that arrived a moment earlier, under the
// old filter, can stay "filtered" after the configure: seen on BIRD 2.0.12 when a node announced a
// new prefix just before its new record (with that prefix) reached the other nodes; before agent
// restarts kept records, the restart reset every session and hid it. `birdc reload in <peer>` asks
// the peer for its routes again (route refresh) and filters them anew, with no session reset.

import { sessionLines } from "./bgp-sessions.js";

/** The sessions in both texts whose line changed (new and removed sessions need no reload). */
export function sessionsToReload(before: string, after: string): string[] {
  const old = sessionLines(before);
  return [...sessionLines(after)].filter(([name, line]) => old.has(name) && old.get(name) !== line).map(([name]) => name);
}

export const reloadInArgv = (session: string): string[] => ["birdc", "reload", "in", session];
