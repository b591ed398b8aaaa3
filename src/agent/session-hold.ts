// Make before break when the mesh changes shape (a full mesh turned into reflectors and clients,
// or back). Every agent sees the new allocations at about the same moment. A session that starts
// to carry other nodes' routes (a full-mesh session becoming one with a reflector) changes at once:
// only its filters change, so BIRD keeps it up. One that stops carrying them (a reflector's session
// back to a full-mesh one), or that goes (two clients), would take routes away before the new
// ways are up: a live peer's such session stays as it was for SESSION_HOLD_MS. Both ends hold, so
// when the hold ends the new sessions have long been up. A new session starts at once; a peer that
// left, or that BIRD may no longer have (skipped), goes at once.
import { REFLECTING_KINDS, type BgpSession } from "./bgp-sessions.js";

/** Long enough for a restarted session to come back (connect delay 2 s, retry 5 s) with its routes. */
export const SESSION_HOLD_MS = 30_000;

export interface HeldSession extends BgpSession {
  /** when this session's change was first wanted (ms): it is held until this plus the hold */
  changeSinceMs?: number;
}

/**
 * The sessions to configure now, from the ones configured last time and the ones wanted now.
 * @param previous, wanted: keyed and matched by protocol name (a peer has one session per family)
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
    sessions.set(before.protocol, { ...before, changeSinceMs: since });
    next = Math.min(next ?? Infinity, since + holdMs);
    return true;
  };
  for (const s of wanted) {
    const before = previous.get(s.protocol);
    // Same kind (an allocation's filter changed, say), or one that carries more: at once.
    const narrows = before !== undefined && REFLECTING_KINDS.has(before.kind) && !REFLECTING_KINDS.has(s.kind);
    if (before && narrows && hold(before)) continue;
    sessions.set(s.protocol, { ...s });
  }
  for (const before of previous.values()) {
    if (!sessions.has(before.protocol) && live.has(before.name)) hold(before);
  }
  return { sessions, ...(next !== undefined && { nextChangeAtMs: next }) };
}
