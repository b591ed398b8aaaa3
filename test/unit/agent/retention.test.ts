import { describe, expect, it } from "vitest";
import { nextExpiryMs, retainedHostFiles, updateDeparted, type Departed } from "../../../src/agent/retention.js";
import { peerMap, record } from "./helpers.js";

const GRACE = 300;
const n2 = record("node2", 2);
const n3 = record("node3", 3);

describe("host files of departed peers", () => {
  it("are kept from the snapshot a peer went missing in until the grace period ends", () => {
    let departed: Map<string, Departed> = new Map();
    departed = updateDeparted(departed, peerMap([n2, n3]), peerMap([n2]), 1_000, GRACE);
    expect([...retainedHostFiles(departed)]).toEqual([["node3", n3]]);
    expect(nextExpiryMs(departed, GRACE)).toBe(301_000);

    // later snapshots without node3 keep the first time it was missing
    departed = updateDeparted(departed, peerMap([n2]), peerMap([n2]), 200_000, GRACE);
    expect(departed.get("node3")?.goneAtMs).toBe(1_000);

    departed = updateDeparted(departed, peerMap([n2]), peerMap([n2]), 301_000, GRACE);
    expect(departed.size).toBe(0);
    expect(nextExpiryMs(departed, GRACE)).toBeUndefined();
  });

  it("a peer that comes back is no longer departed", () => {
    const departed = updateDeparted(new Map(), peerMap([n2, n3]), peerMap([n2]), 1_000, GRACE);
    expect(updateDeparted(departed, peerMap([n2]), peerMap([n2, n3]), 2_000, GRACE).size).toBe(0);
  });

  it("a grace of 0 keeps nothing", () => {
    expect(updateDeparted(new Map(), peerMap([n2, n3]), new Map(), 1_000, 0).size).toBe(0);
  });
});
