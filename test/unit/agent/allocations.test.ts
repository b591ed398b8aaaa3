// The controller's allocations as the agent uses them: a peer counts only when its record agrees
// with its allocation, and BIRD imports from it only the allocated prefixes.
import { describe, expect, it } from "vitest";
import { parseAllocation } from "../../../src/agent/allocations.js";
import { desiredState } from "../../../src/agent/desired-files.js";
import { parseSnapshot } from "../../../src/agent/record.js";
import { config, recordFields } from "./helpers.js";

const allocation = (name: string, index: number, prefixes: { prefix: string; ge: number; le: number }[] = []) =>
  JSON.stringify({ version: 1, name, meshAddress: `10.0.0.${index}`, routerId: `10.0.0.${index}`, prefixes });
const rec = (name: string, index: number, overrides: Record<string, unknown> = {}) => JSON.stringify(recordFields(name, index, overrides));
const mesh = { subnet: "10.0.0.0/24", requireAllocation: true };

describe("allocations", () => {
  it("a node claiming another's mesh address is refused alone: the node it names keeps its place", () => {
    const { peers, invalid } = parseSnapshot(
      [
        ["/allocations/node2", allocation("node2", 2)],
        ["/allocations/node3", allocation("node3", 3)],
        ["/peers/node2", rec("node2", 2)],
        // node3, with nothing but its own certificate, rewrites its own record with node2's address.
        ["/peers/node3", rec("node3", 3, { meshAddress: "10.0.0.2" })],
      ],
      mesh,
    );
    expect([...peers.keys()]).toEqual(["node2"]);
    expect(invalid).toEqual([{ key: '"/peers/node3"', reason: "meshAddress differs from the node's allocation" }]);
    const d = desiredState(config({ requireAllocations: true }), peers);
    expect(d.bgpPeers).toEqual(["node2"]);
    expect(d.skipped).toEqual([]);
  });

  it("a record without an allocation, or with another router id, never becomes a peer", () => {
    const { peers, invalid } = parseSnapshot(
      [
        ["/allocations/node2", allocation("node2", 2)],
        ["/peers/node2", rec("node2", 2, { routerId: "10.0.0.99" })],
        ["/peers/fake", rec("fake", 9)],
      ],
      mesh,
    );
    expect(peers.size).toBe(0);
    expect(invalid.map((i) => i.reason)).toEqual(["routerId differs from the node's allocation", "no allocation from the controller for this node"]);
  });

  it("without allocations required, records count as before and allocations are only read", () => {
    const { peers, allocations } = parseSnapshot([["/peers/node2", rec("node2", 2)], ["/allocations/node2", allocation("node2", 2)]], { subnet: "10.0.0.0/24" });
    expect([...peers.keys()]).toEqual(["node2"]);
    expect([...allocations.keys()]).toEqual(["node2"]);
  });

  it.each([
    ["/allocations/node2", "{", "allocation: value is not JSON"],
    ["/allocations/node2", allocation("node3", 3), "allocation: name differs from the name in the key"],
    ["/allocations/a/b", allocation("node2", 2), "key is not /allocations/<name> with a valid tinc name"],
    ["/allocations/node2", JSON.stringify({ ...JSON.parse(allocation("node2", 2)), prefixes: [{ prefix: "10.0.0.1/24", ge: 24, le: 24 }] }), "allocation: prefixes[0].prefix: must be an IPv4 network like 192.0.2.0/24 with no host bits set"],
  ])("a bad allocation %s is refused: %s", (key, value, reason) => {
    expect(parseAllocation(key, value)).toEqual({ ok: false, reason });
  });

  it("BIRD imports from each peer only its allocated prefixes, with a limit; a peer with none imports nothing", () => {
    const { peers, allocations } = parseSnapshot(
      [
        ["/allocations/node2", allocation("node2", 2, [{ prefix: "198.51.100.0/26", ge: 26, le: 26 }, { prefix: "203.0.113.0/24", ge: 26, le: 28 }])],
        ["/allocations/node3", allocation("node3", 3)],
        ["/peers/node2", rec("node2", 2)],
        ["/peers/node3", rec("node3", 3)],
      ],
      mesh,
    );
    const d = desiredState(config({ requireAllocations: true, meshSubnet: "10.0.0.0/24" }), peers, new Map(), allocations);
    const conf = d.files.get("/etc/bird/peers.d/peers.conf")!;
    expect(conf).toContain(
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; ipv4 { import filter { if net ~ [ 198.51.100.0/26, 203.0.113.0/24{26,28} ] then accept; reject; }; import keep filtered on; receive limit 2000 action block; import limit 1000 action block; }; }",
    );
    expect(conf).toContain("protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; ipv4 { import none; import keep filtered on; receive limit 2000 action block; import limit 1000 action block; }; }");
  });

  it("without allocations required, the peers file is what it was (the template's import all)", () => {
    const { peers } = parseSnapshot([["/peers/node2", rec("node2", 2)]]);
    expect(desiredState(config(), peers).files.get("/etc/bird/peers.d/peers.conf")).toContain("protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; }");
  });

  it("ring mode: records without an allocation cannot become a node's ring successors", () => {
    // 10 allocated nodes (ring mode: more than 8 peers), and fakes named to sort right after node1.
    const entries: [string, string][] = [];
    for (let i = 2; i <= 11; i++) entries.push([`/allocations/node${i}`, allocation(`node${i}`, i)], [`/peers/node${i}`, rec(`node${i}`, i)]);
    ["node1_a", "node1_b", "node1_c"].forEach((f, i) => entries.push([`/peers/${f}`, rec(f, 101 + i)]));
    const { peers, invalid } = parseSnapshot(entries, mesh);
    expect(invalid.map((i) => i.reason)).toEqual(Array(3).fill("no allocation from the controller for this node"));
    const d = desiredState(config({ requireAllocations: true }), peers);
    expect(d.connectTo).toEqual(["node10", "node11", "node2"]);
  });
});
