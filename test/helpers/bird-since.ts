import { expect } from "vitest";

/**
 * The "since" of a "name since" pair (from `birdc -r show protocols`) in ms of the day. BIRD prints
 * it from its monotonic clock turned into wall time at each read, so one and the same moment may
 * read a millisecond apart: a session that did not restart is one whose since moved by less than 50 ms.
 */
export function sinceMs(session: string): number {
  const [h, m, s] = session.split(" ")[1]!.split(":").map(Number);
  return ((h! * 60 + m!) * 60 + s!) * 1000;
}

/** The same sessions (by name), none of them restarted since `before`. */
export function expectSameSessions(after: readonly string[], before: readonly string[]): void {
  expect(after.map((x) => x.split(" ")[0])).toEqual(before.map((x) => x.split(" ")[0]));
  after.forEach((x, i) => expect(Math.abs(sinceMs(x) - sinceMs(before[i]!)), `${x} vs ${before[i]}`).toBeLessThan(50));
}
