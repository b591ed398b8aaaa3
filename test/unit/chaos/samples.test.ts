import { describe, expect, it } from "vitest";
import { lossByPair, lostPings, outages, p50max, parseProbeLine, routeGaps, type PingSample, type RouteSample } from "../../../src/chaos/samples.js";
import { probeScript } from "../../../src/chaos/probe.js";

describe("chaos samples: what the probe's hosts print", () => {
  it("reads ping's answered, unanswered and unreachable lines, and the route samples", () => {
    expect(parseProbeLine("node1", "P node2 [1764580000.123456] 64 bytes from 10.0.0.2: icmp_seq=7 ttl=64 time=0.52 ms")).toEqual({ from: "node1", to: "node2", seq: 7, t: 1764580000.123456, ok: true });
    expect(parseProbeLine("node1", "P node2 [1764580000.323456] no answer yet for icmp_seq=8")).toMatchObject({ seq: 8, ok: false });
    expect(parseProbeLine("node1", "P node2 [1764580000.5] From 10.0.0.1 icmp_seq=9 Destination Host Unreachable")).toMatchObject({ seq: 9, ok: false });
    expect(parseProbeLine("node1", "P node2 PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.")).toBeUndefined();
    expect(parseProbeLine("node3", "R 1764580000.100000000 10.1.0.0/24,10.2.0.0/24, peer_node2,")).toEqual({ host: "node3", t: 1764580000.1, routes: ["10.1.0.0/24", "10.2.0.0/24"], sessionsDown: ["peer_node2"] });
    expect(parseProbeLine("node3", "R 1764580000.100000000  ")).toEqual({ host: "node3", t: 1764580000.1, routes: [], sessionsDown: [] });
  });

  it("counts a ping lost only when no answer ever came, within the window", () => {
    const p = (seq: number, t: number, ok: boolean, to = "node2"): PingSample => ({ from: "node1", to, seq, t, ok });
    const samples = [p(1, 10, true), p(2, 10.2, false), p(2, 10.9, true), p(3, 10.4, false), p(4, 20, false), p(1, 10, false, "node3")];
    const lost = lostPings(samples, 10, 15);
    expect(lost.map((s) => `${s.to}:${s.seq}`).sort()).toEqual(["node2:3", "node3:1"]);
    expect(lossByPair(lost)).toEqual(new Map([["node1>node2", 1], ["node1>node3", 1]]));
  });

  it("an outage is two or more consecutive pings of a pair lost; a lone one is not", () => {
    const p = (seq: number, to = "node2"): PingSample => ({ from: "node1", to, seq, t: seq / 5, ok: false });
    expect(outages([p(3), p(7), p(8), p(9), p(20), p(5, "node3")])).toEqual(new Map([["node1>node2", 3]]));
    expect(outages([p(3), p(5)])).toEqual(new Map());
  });

  it("a route sample lacking a route of the host's baseline is a gap, unless the fault excuses it", () => {
    const r = (t: number, routes: string[], down: string[] = []): RouteSample => ({ host: "node1", t, routes, sessionsDown: down });
    const samples = [r(1, ["a", "b"]), r(2, ["a"], ["peer_node3"]), r(3, ["a", "b"]), r(4, ["a", "b", "c"])];
    expect(routeGaps(samples, 1.5, 10).missing.map((s) => s.t)).toEqual([2]);
    expect(routeGaps(samples, 1.5, 10).down.map((s) => s.t)).toEqual([2]);
    expect(routeGaps(samples, 1.5, 10, (_h, route) => route === "b", () => true)).toEqual({ missing: [], down: [] });
  });

  it("p50 and max", () => {
    expect(p50max([])).toBeUndefined();
    expect(p50max([3, 1, 2])).toEqual({ p50: 2, max: 3 });
    expect(p50max([4, 1, 3, 2])).toEqual({ p50: 2, max: 4 });
  });

  it("the host script pings every peer and ends by itself", () => {
    const script = probeScript([{ name: "node2", meshAddress: "10.0.0.2" }, { name: "node3", meshAddress: "10.0.0.3" }], 600);
    expect(script).toMatch(/^exec timeout 600 bash -c '/);
    expect(script).toContain("ping -D -O -n -i 0.2 -W 1 10.0.0.2 ");
    expect(script).toContain('echo "P node3 $l"');
  });
});
