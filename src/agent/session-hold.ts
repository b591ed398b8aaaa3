// Make before break when the mesh changes shape (a full mesh turned into reflectors and clients,
// or back). Every agent sees the new allocations at about the same moment; were each to switch at
// once, a client would drop its sessions with the other clients while the reflectors restart
// theirs with it (adding `rr client` changes the session, and BIRD restarts a changed session),
// and the other nodes' routes would be gone from it for seconds. So a live peer whose session
// changes kind, or goes, keeps its old session for SESSION_HOLD_MS; a new session starts at once.
// Both ends hold, so during the hold the routes arrive both ways, and when it ends the new way
// has long been up. A peer that left, or that BIRD may no longer have (skipped), goes at once.
import type { BgpSession } from "./bgp-sessions.js";

/** Long enough for a restarted session to come back (connect delay 2 s, retry 5 s) with its routes. */
export const SESSION_HOLD_MS = 30_000;

export interface HeldSession extends BgpSession {
  /** when this session's change was first wanted (ms): it is held until this plus the hold */
  changeSinceMs?: number;
}

/**
 * The sessions to configure now, from the ones configured last time and the ones wanted now.
 * @param live the peers that may have a session at all (not departed, not skipped)
 * @returns the sessions (the held ones as they were), and when the next hold ends, to reconcile then
 */
export function holdSessions(
  previous: ReadonlyMap<string, HeldSession>,
  wanted: readonly BgpSession[],
  live: ReadonlySet<string>,
  nowMs: number,
  holdMs = SESSION_HOLD_MS,
): { sessions: Map<string, HeldSession>; nextChangeAtMs?: number } {
  const sessions = new Map<string, HeldSession>();
  let next: number | undefined;
  const hold = (before: HeldSession): boolean => {
    const since = before.changeSinceMs ?? nowMs;
    if (nowMs - since >= holdMs) return false;
    sessions.set(before.name, { ...before, changeSinceMs: since });
    next = Math.min(next ?? Infinity, since + holdMs);
    return true;
  };
  for (const s of wanted) {
    const before = previous.get(s.name);
    // Same kind (an allocation's filter changed, say): BIRD reloads the routes and keeps the session.
    if (before && before.kind !== s.kind && hold(before)) continue;
    sessions.set(s.name, { ...s });
  }
  for (const before of previous.values()) {
    if (!sessions.has(before.name) && live.has(before.name)) hold(before);
  }
  return { sessions, ...(next !== undefined && { nextChangeAtMs: next }) };
}
