// IPv6 in the agent: the /ipv6/ records and allocations, each peer's IPv6 session beside its IPv4
// one, and a mesh where agents without IPv6 (or of the previous version) take part.
import { describe, expect, it } from "vitest";
import { desiredState } from "../../../src/agent/desired-files.js";
import { ownRecord, ownRecord6, parseSnapshot } from "../../../src/agent/record.js";
import { config, recordFields, sharedKey } from "./helpers.js";

const SUBNET6 = "fd12:3456:789a::/64";
const addr6 = (i: number) => `fd12:3456:789a::${i}`;
const rec = (name: string, i: number) => JSON.stringify(recordFields(name, i));
const rec6 = (name: string, i: number, prefixes: string[] = [], over: Record<string, unknown> = {}) => JSON.stringify({ name, meshAddress6: addr6(i), prefixes, version: 1, ...over });
const alloc = (name: string, i: number, prefixes: { prefix: string; ge: number; le: number }[] = [], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, name, meshAddress: `10.0.0.${i}`, routerId: `10.0.0.${i}`, prefixes, ...extra });
const alloc6 = (name: string, i: number, prefixes: { prefix: string; ge: number; le: number }[] = []) => JSON.stringify({ version: 1, name, meshAddress6: addr6(i), prefixes });
const dual = (over: Record<string, unknown> = {}) => config({ meshSubnet: "10.0.0.0/24", meshAddress6: addr6(1), meshSubnet6: SUBNET6, ...over });
const peersConf = (c: ReturnType<typeof config>, entries: [string, string][]) => {
  const s = parseSnapshot(entries, { subnet: "10.0.0.0/24", subnet6: SUBNET6, requireAllocation: c.requireAllocations });
  const d = desiredState(c, s.peers, new Map(), s.allocations, undefined, { peers6: s.peers6, allocations6: s.allocations6 });
  return { text: d.files.get("/etc/bird/peers.d/peers.conf")!, desired: d, snapshot: s };
};

describe("IPv6 records", () => {
  it("a valid one counts; one outside the IPv6 subnet, in another spelling, under another name or disagreeing with its allocation does not", () => {
    const { peers6, invalid } = parseSnapshot(
      [
        ["/ipv6/peers/node2", rec6("node2", 2, ["2001:db8:100::/48"])],
        ["/ipv6/peers/node3", rec6("node3", 3, [], { meshAddress6: "fd12:3456:789b::3" })],
        ["/ipv6/peers/node4", rec6("node4", 4, [], { meshAddress6: "FD12:3456:789a::4" })],
        ["/ipv6/peers/node5", rec6("node6", 6)],
        ["/ipv6/peers/node7", rec6("node7", 7, ["2001:db8::1/32"])],
      ],
      { subnet6: SUBNET6 },
    );
    expect([...peers6.keys()]).toEqual(["node2"]);
    expect(invalid.map((i) => i.reason)).toEqual([
      "meshAddress6: must be a host address of the IPv6 mesh subnet",
      "meshAddress6: must be a unicast IPv6 address in its shortest form like fd00::5 (lowercase, zeros compressed)",
      "name differs from the name in the key",
      "prefixes[0]: must be an IPv6 network like 2001:db8::/48 in its shortest form with no host bits set",
    ]);
    const withAlloc = parseSnapshot([["/ipv6/peers/node2", rec6("node2", 2)], ["/ipv6/allocations/node2", alloc6("node2", 9)]], { subnet6: SUBNET6, requireAllocation: true });
    expect(withAlloc.peers6.size).toBe(0);
    expect(withAlloc.invalid.map((i) => i.reason)).toEqual(["meshAddress6 differs from the node's IPv6 allocation"]);
  });

  it("this node's IPv4 record is the same with IPv6 on: what agents of the previous version accept", () => {
    const v4 = ownRecord(config({ meshSubnet: "10.0.0.0/24" }), sharedKey());
    const v6 = ownRecord(dual({ prefixes6: ["2001:db8:100::/48"] }), sharedKey());
    expect(v6).toEqual(v4);
    // The key set of the previous version's strict schema (record version 1), and its own record apart.
    expect(v6.ok && Object.keys(v6.record).sort()).toEqual(["endpoint", "meshAddress", "name", "prefixes", "routerId", "tincPublicKey", "version"]);
    expect(ownRecord6(dual({ prefixes6: ["2001:db8:100::/48"] }))).toEqual({ ok: true, record6: { name: "node1", meshAddress6: addr6(1), prefixes: ["2001:db8:100::/48"], version: 1 } });
    expect(ownRecord6(config())).toBeUndefined();
  });
});

describe("IPv6 sessions", () => {
  it("a peer with an IPv6 record gets a session between the IPv6 mesh addresses beside its IPv4 one, importing its IPv6 allocation", () => {
    const { text, desired } = peersConf(dual({ requireAllocations: true }), [
      ["/peers/node2", rec("node2", 2)],
      ["/allocations/node2", alloc("node2", 2)],
      ["/ipv6/peers/node2", rec6("node2", 2, ["2001:db8:100::/48"])],
      ["/ipv6/allocations/node2", alloc6("node2", 2, [{ prefix: "2001:db8:100::/48", ge: 48, le: 56 }])],
      // node3 has no IPv6 (an agent without it, or of the previous version): its IPv4 session only.
      ["/peers/node3", rec("node3", 3)],
      ["/allocations/node3", alloc("node3", 3)],
    ]);
    const lines = text.split("\n").filter((l) => l.startsWith("protocol bgp"));
    expect(lines.map((l) => l.split(" ").slice(2, 5).join(" "))).toEqual(["peer_node2 from mesh_peer", "peer6_node2 from mesh_peer6", "peer_node3 from mesh_peer"]);
    expect(lines[1]).toContain(`neighbor ${addr6(2)};`);
    expect(lines[1]).toContain("ipv6 { import filter { if net ~ [ 2001:db8:100::/48{48,56} ] then accept; reject; };");
    expect(desired.bgpPeers).toEqual(["node2", "node3"]);
    expect(desired.bgpPeers6).toEqual(["node2"]);
  });

  it("no IPv6 session: when this node has no IPv6, when the peer has no IPv4 session, when two peers claim one IPv6 address", () => {
    const entries: [string, string][] = [["/peers/node2", rec("node2", 2)], ["/ipv6/peers/node2", rec6("node2", 2)]];
    expect(peersConf(config({ meshSubnet: "10.0.0.0/24" }), entries).text).not.toContain("peer6_");
    expect(peersConf(dual(), [["/ipv6/peers/node2", rec6("node2", 2)]]).text).not.toContain("peer6_");
    const twice = peersConf(dual(), [...entries, ["/peers/node3", rec("node3", 3)], ["/ipv6/peers/node3", rec6("node3", 2)]]).text;
    expect(twice).not.toContain("peer6_");
    expect(twice).toContain("protocol bgp peer_node3 ");
    expect(peersConf(dual(), [...entries, ["/ipv6/peers/node9", rec6("node9", 1)]]).text).toContain("peer6_node2");
  });

  it("an IPv4 mesh's peers.conf is byte for byte what it was: no IPv6 record changes it", () => {
    const base: [string, string][] = [["/peers/node2", rec("node2", 2)], ["/allocations/node2", alloc("node2", 2)]];
    const c = config({ meshSubnet: "10.0.0.0/24", requireAllocations: true });
    expect(peersConf(c, [...base, ["/ipv6/peers/node2", rec6("node2", 2)], ["/ipv6/allocations/node2", alloc6("node2", 2)]]).text).toBe(peersConf(c, base).text);
  });

  it("through route reflectors: IPv6 routes within their owner's IPv6 allocation and via the owner's IPv6 mesh address, nothing else", () => {
    const entries: [string, string][] = [
      ["/peers/node2", rec("node2", 2)],
      ["/allocations/node2", alloc("node2", 2, [], { routeReflector: true })],
      ["/ipv6/peers/node2", rec6("node2", 2)],
      ["/ipv6/allocations/node2", alloc6("node2", 2)],
      ["/peers/node3", rec("node3", 3)],
      ["/allocations/node3", alloc("node3", 3)],
      ["/ipv6/peers/node3", rec6("node3", 3)],
      ["/ipv6/allocations/node3", alloc6("node3", 3, [{ prefix: "2001:db8:100::/48", ge: 48, le: 48 }])],
      ["/allocations/node1", alloc("node1", 1)],
      ["/ipv6/allocations/node1", alloc6("node1", 1)],
    ];
    // node1, a client: one session per family with the reflector node2, none with node3.
    const client = peersConf(dual({ requireAllocations: true }), entries).text;
    expect(client).toContain("filter bgpmesh_reflected6 {\n  if bgp_next_hop = fd12:3456:789a::3 && net ~ [ 2001:db8:100::/48 ] then accept;\n  reject;\n}");
    expect(client).toMatch(/protocol bgp peer6_node2 from mesh_peer6 \{ neighbor fd12:3456:789a::2;.* ipv6 \{ import filter bgpmesh_reflected6;/);
    expect(client).not.toContain("peer6_node3");
    // node2, the reflector: passes routes on, keeping their next hop.
    const reflector = peersConf(dual({ name: "node2", meshAddress: "10.0.0.2", routerId: "10.0.0.2", meshAddress6: addr6(2), requireAllocations: true }), [
      ...entries.filter(([k]) => !k.endsWith("/node2")),
      ["/allocations/node2", alloc("node2", 2, [], { routeReflector: true })],
      ["/peers/node1", rec("node1", 1)],
      ["/ipv6/peers/node1", rec6("node1", 1)],
    ]).text;
    expect(reflector).toContain('filter bgpmesh_reflect6 {\n  if source = RTS_STATIC && proto = "bgpmesh_static6" then accept;');
    expect(reflector).toMatch(/protocol bgp peer6_node3 from mesh_peer6 \{ neighbor fd12:3456:789a::3;.*export filter bgpmesh_reflect6; next hop self off; \};/);
  });
});
