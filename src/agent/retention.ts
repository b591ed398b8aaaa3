// The grace period of departed peers' tinc host files. A peer whose record left etcd loses its
// BGP session and ConnectTo at once, but its host file stays `graceSeconds`: if the record went
// because of an etcd blip or a lost lease that the node re-registers a moment later, tinc never
// refused the peer meanwhile. Pure bookkeeping: the caller keeps the state between reconciles and
// passes `retainedHostFiles(state)` to desiredState().
import type { PeerRecord } from "./record.js";

export interface Departed {
  record: PeerRecord;
  /** When the peer was first seen missing (ms, the caller's clock). */
  goneAtMs: number;
}

/**
 * The departed peers after a new snapshot: peers of `previous` missing from `current` are added
 * (stamped `nowMs`, or keep their first stamp), peers back in `current` are dropped, and so are
 * those gone `graceSeconds` or longer.
 */
export function updateDeparted(
  departed: ReadonlyMap<string, Departed>,
  previous: ReadonlyMap<string, PeerRecord>,
  current: ReadonlyMap<string, PeerRecord>,
  nowMs: number,
  graceSeconds: number,
): Map<string, Departed> {
  const next = new Map<string, Departed>();
  for (const [name, d] of departed) if (!current.has(name)) next.set(name, d);
  for (const [name, record] of previous) if (!current.has(name) && !next.has(name)) next.set(name, { record, goneAtMs: nowMs });
  for (const [name, d] of next) if (nowMs - d.goneAtMs >= graceSeconds * 1000) next.delete(name);
  return next;
}

export function retainedHostFiles(departed: ReadonlyMap<string, Departed>): Map<string, PeerRecord> {
  return new Map([...departed].map(([name, d]) => [name, d.record]));
}

/** When the next host file expires (ms), so the caller can reconcile then; undefined when none is kept. */
export function nextExpiryMs(departed: ReadonlyMap<string, Departed>, graceSeconds: number): number | undefined {
  let first: number | undefined;
  for (const d of departed.values()) {
    const at = d.goneAtMs + graceSeconds * 1000;
    if (first === undefined || at < first) first = at;
  }
  return first;
}
