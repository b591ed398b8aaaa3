import { describe, expect, it } from "vitest";
import type { BgpSession } from "../../../src/agent/bgp-sessions.js";
import { holdSessions, SESSION_HOLD_MS } from "../../../src/agent/session-hold.js";

const s = (name: string, kind: BgpSession["kind"], line = `${name} ${kind}`): BgpSession => ({ name, protocol: `peer_${name}`, family: 4, kind, line });
const lines = (m: Map<string, BgpSession>) => [...m.values()].map((x) => x.line).sort();

describe("make before break", () => {
  it("full mesh → reflectors: the session with the new reflector changes at once, the one with another client stays until the hold ends", () => {
    // node1 was in a full mesh with node2 (now a reflector) and node3 (now a client like node1).
    const before = new Map([["peer_node2", s("node2", "peer")], ["peer_node3", s("node3", "peer")]]);
    const live = new Set(["node2", "node3"]);
    const t0 = 1_000_000;
    const first = holdSessions(before, [s("node2", "to-reflector")], live, t0);
    expect(lines(first.sessions)).toEqual(["node2 to-reflector", "node3 peer"]);
    expect(first.nextChangeAtMs).toBe(t0 + SESSION_HOLD_MS);
    const during = holdSessions(first.sessions, [s("node2", "to-reflector")], live, t0 + SESSION_HOLD_MS - 1);
    expect(lines(during.sessions)).toEqual(["node2 to-reflector", "node3 peer"]);
    const after = holdSessions(during.sessions, [s("node2", "to-reflector")], live, t0 + SESSION_HOLD_MS);
    expect(lines(after.sessions)).toEqual(["node2 to-reflector"]);
    expect(after.nextChangeAtMs).toBeUndefined();
  });

  it("reflectors → full mesh: sessions that carried the others' routes keep doing so until the hold ends; new ones start at once", () => {
    const before = new Map([["peer_node2", s("node2", "to-reflector")]]);
    const live = new Set(["node2", "node3"]);
    const first = holdSessions(before, [s("node2", "peer"), s("node3", "peer")], live, 0);
    expect(lines(first.sessions)).toEqual(["node2 to-reflector", "node3 peer"]);
    const after = holdSessions(first.sessions, [s("node2", "peer"), s("node3", "peer")], live, SESSION_HOLD_MS);
    expect(lines(after.sessions)).toEqual(["node2 peer", "node3 peer"]);
  });

  it("starts a new session at once, drops a departed peer's at once, and takes a changed filter at once", () => {
    const before = new Map([["peer_node2", s("node2", "peer", "old filter")], ["gone", s("gone", "peer")]]);
    const out = holdSessions(before, [s("node2", "peer", "new filter"), s("node4", "peer")], new Set(["node2", "node4"]), 5);
    expect(lines(out.sessions)).toEqual(["new filter", "node4 peer"]);
    expect(out.nextChangeAtMs).toBeUndefined();
  });

  it("a change undone during the hold leaves the session as it was, with no hold left", () => {
    const before = new Map([["node2", { ...s("node2", "rr-client"), changeSinceMs: 0 }]]);
    const out = holdSessions(before, [s("node2", "rr-client")], new Set(["node2"]), 10);
    expect([...out.sessions.values()]).toEqual([s("node2", "rr-client")]);
  });
});
