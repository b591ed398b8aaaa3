import { describe, expect, it } from "vitest";
import { connectTargets, desiredState, FULL_MESH_CONNECT_MAX } from "../../../src/agent/desired-files.js";
import { birdProtocolName } from "../../../src/fields/bird.js";
import type { PeerRecord } from "../../../src/agent/record.js";
import { config, peerMap, record, sharedKey, shuffled } from "./helpers.js";

const cfg = config();
const names = (n: number) => Array.from({ length: n }, (_, i) => `node${i + 1}`);
const records = (n: number) => names(n).map((name, i) => record(name, i + 1));

/** Files as [path, content] pairs in the Map's (write) order. */
const entries = (files: Map<string, string>) => [...files];

describe("the files of a small mesh", () => {
  const state = desiredState(cfg, peerMap(records(3)));

  it("are the other nodes' host files, then tinc.conf, then peers.conf", () => {
    expect([...state.files.keys()]).toEqual([
      "/etc/tinc/bgpmesh/hosts/node2",
      "/etc/tinc/bgpmesh/hosts/node3",
      "/etc/tinc/bgpmesh/tinc.conf",
      "/etc/bird/peers.d/peers.conf",
    ]);
    expect(state).toMatchObject({ hostFilePeers: ["node2", "node3"], connectTo: ["node2", "node3"], bgpPeers: ["node2", "node3"], skipped: [] });
  });

  it("a host file has Address, Port and the key inline; no PublicKeyFile, no Subnet", () => {
    const host = state.files.get("/etc/tinc/bgpmesh/hosts/node2")!;
    expect(host).toBe(
      "# tinc host file of node2, from its record in etcd (/peers/node2).\n" +
        "# Written by the bgpmesh node agent: changes made here are overwritten.\n" +
        "Address = 192.0.2.2\n" +
        "Port = 655\n" +
        sharedKey(),
    );
    expect(host).not.toMatch(/PublicKeyFile|Subnet/);
  });

  it("tinc.conf has the base settings from the config and the ConnectTo lines", () => {
    expect(state.files.get("/etc/tinc/bgpmesh/tinc.conf")).toBe(
      "# tinc network bgpmesh, node node1.\n" +
        "# Written by the bgpmesh node agent (seeded by bgpmesh-provision): changes made here are overwritten.\n" +
        "Name = node1\nMode = switch\nPort = 655\nKeyExpire = 30\nPingInterval = 10\nPingTimeout = 5\nDevice = /dev/net/tun\nInterface = tinc0\nAddressFamily = ipv4\n" +
        "ConnectTo = node2\nConnectTo = node3\n",
    );
    const other = desiredState(config({ tincPort: 1655, tincKeyExpireSeconds: 600, meshInterface: "mesh0", meshName: "net2" }), new Map());
    expect(other.files.get("/etc/tinc/net2/tinc.conf")).toContain("Name = node1\nMode = switch\nPort = 1655\nKeyExpire = 600\nPingInterval = 10\nPingTimeout = 5\nDevice = /dev/net/tun\nInterface = mesh0\nAddressFamily = ipv4\n");
  });

  it("peers.conf has one protocol per other node, from the template mesh_peer", () => {
    expect(state.files.get("/etc/bird/peers.d/peers.conf")).toBe(
      "# The iBGP peers of node1: one per other mesh node, from their records in etcd.\n" +
        "# Written by the bgpmesh node agent: changes made here are overwritten. The template\n" +
        "# mesh_peer is in /etc/bird/bird.conf, which includes this file.\n" +
        "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; }\n" +
        "protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; }\n",
    );
  });

  it("alone, a node still gets its tinc.conf and a peers.conf BIRD can include", () => {
    const alone = desiredState(cfg, peerMap([record("node1", 1)]));
    expect([...alone.files.keys()]).toEqual(["/etc/tinc/bgpmesh/tinc.conf", "/etc/bird/peers.d/peers.conf"]);
    expect(alone.files.get("/etc/tinc/bgpmesh/tinc.conf")).not.toContain("ConnectTo");
    expect(alone.files.get("/etc/bird/peers.d/peers.conf")).not.toContain("protocol");
  });

  it("uses the configured paths", () => {
    const custom = desiredState(config({ paths: { tincDir: "/srv/tinc", birdPeersDir: "/srv/bird/p" } }), peerMap(records(2)));
    expect([...custom.files.keys()]).toEqual(["/srv/tinc/bgpmesh/hosts/node2", "/srv/tinc/bgpmesh/tinc.conf", "/srv/bird/p/peers.conf"]);
  });
});

describe("the same inputs give the same bytes", () => {
  it("whatever order the records come in", () => {
    const all = records(30);
    const retained = [record("gone1", 200), record("gone2", 201)];
    const reference = entries(desiredState(cfg, peerMap(all), peerMap(retained)).files);
    for (let seed = 1; seed <= 10; seed++) {
      const again = desiredState(cfg, peerMap(shuffled(all, seed)), peerMap(shuffled(retained, seed)));
      expect(entries(again.files)).toEqual(reference);
    }
  });

  it("sorts by code unit, not by locale (Upper before lower, digits before letters)", () => {
    const state = desiredState(cfg, peerMap([record("b", 2), record("B", 3), record("a", 4), record("_x", 5), record("9", 6)]));
    expect(state.bgpPeers).toEqual(["9", "B", "_x", "a", "b"]);
  });

  it("ignores this node's own record and an entry whose Map key is not its record's name", () => {
    const peers = new Map<string, PeerRecord>([
      ["node1", record("node1", 1)],
      ["node2", record("node2", 2)],
      ["node9", record("node3", 3)],
    ]);
    expect(desiredState(cfg, peers).hostFilePeers).toEqual(["node2"]);
  });
});

describe("ConnectTo", () => {
  it(`names every other peer up to ${FULL_MESH_CONNECT_MAX}`, () => {
    expect(connectTargets("node1", names(9))).toEqual(names(9).slice(1));
  });

  it("beyond that, names the next 3 nodes in the ring of sorted names, wrapping around", () => {
    const ring = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]; // 10 nodes: 9 others each
    expect(connectTargets("a", ring)).toEqual(["b", "c", "d"]);
    expect(connectTargets("h", ring)).toEqual(["i", "j", "a"]);
    expect(connectTargets("j", ring)).toEqual(["a", "b", "c"]);
    // this node need not be in the list (its own record may not be in the snapshot yet)
    expect(connectTargets("cc", ring)).toEqual(["d", "e", "f"]);
  });

  it("keeps a large mesh connected", () => {
    const all = Array.from({ length: 50 }, (_, i) => `n${String(i).padStart(2, "0")}`);
    const edges = new Map(all.map((n) => [n, new Set<string>()]));
    for (const n of all) {
      for (const t of connectTargets(n, all)) {
        edges.get(n)!.add(t);
        edges.get(t)!.add(n);
      }
    }
    const seen = new Set<string>(["n00"]);
    const queue = ["n00"];
    while (queue.length) for (const m of edges.get(queue.pop()!)!) if (!seen.has(m)) (seen.add(m), queue.push(m));
    expect(seen.size).toBe(50);
    for (const n of all) expect(edges.get(n)!.size).toBe(6);
  });

  it("a node joining a large mesh changes the ConnectTo lines of 3 nodes only", () => {
    const before = Array.from({ length: 20 }, (_, i) => `n${String(i * 2).padStart(2, "0")}`);
    const after = [...before, "n15"];
    const changed = before.filter((n) => connectTargets(n, before).join() !== connectTargets(n, after).join());
    expect(changed).toEqual(["n10", "n12", "n14"]);
  });

  it("in tinc.conf, only live peers: not retained ones", () => {
    const state = desiredState(cfg, peerMap(records(12)), peerMap([record("node13", 13)]));
    expect(state.connectTo).toEqual(["node10", "node11", "node12"]); // after node1: node10, node11, node12 (code-unit order)
    expect(state.files.get("/etc/tinc/bgpmesh/tinc.conf")).toMatch(/ConnectTo = node10\nConnectTo = node11\nConnectTo = node12\n$/);
  });
});

describe("retained host files", () => {
  it("keeps the host file of a departed peer, byte for byte, without its ConnectTo or BGP session", () => {
    const live = desiredState(cfg, peerMap(records(3)));
    const afterDeparture = desiredState(cfg, peerMap(records(2)), peerMap([record("node3", 3)]));
    expect(afterDeparture.files.get("/etc/tinc/bgpmesh/hosts/node3")).toBe(live.files.get("/etc/tinc/bgpmesh/hosts/node3"));
    expect(afterDeparture).toMatchObject({ hostFilePeers: ["node2", "node3"], connectTo: ["node2"], bgpPeers: ["node2"] });
    expect(afterDeparture.files.get("/etc/bird/peers.d/peers.conf")).not.toContain("node3");
    expect(afterDeparture.files.get("/etc/tinc/bgpmesh/tinc.conf")).not.toContain("node3");
  });

  it("a live record wins over a retained one, and this node is never retained", () => {
    const state = desiredState(
      cfg,
      peerMap([record("node2", 2, { endpoint: { address: "203.0.113.2", port: 655 } })]),
      peerMap([record("node2", 2), record("node1", 1)]),
    );
    expect(state.hostFilePeers).toEqual(["node2"]);
    expect(state.files.get("/etc/tinc/bgpmesh/hosts/node2")).toContain("Address = 203.0.113.2\n");
  });
});

describe("BGP peers", () => {
  it("leaves out a peer with this node's mesh address or router id, and peers that share a mesh address", () => {
    const state = desiredState(
      cfg,
      peerMap([
        record("node2", 2),
        record("node3", 3, { meshAddress: "10.0.0.1" }),
        record("node4", 4, { routerId: "10.0.0.1" }),
        record("x", 7),
        record("y", 8, { meshAddress: "10.0.0.7" }),
      ]),
    );
    expect(state.bgpPeers).toEqual(["node2"]);
    expect(state.skipped).toEqual([
      { name: "node3", reason: "its mesh address is this node's own" },
      { name: "node4", reason: "its router id is this node's own" },
      { name: "x", reason: "another peer has the same mesh address" },
      { name: "y", reason: "another peer has the same mesh address" },
    ]);
    // tinc does not care about mesh addresses: they keep their host files and ConnectTo
    expect(state.hostFilePeers).toEqual(["node2", "node3", "node4", "x", "y"]);
  });

  it("protocol names are valid BIRD symbols of at most 64 characters, distinct and stable", () => {
    const symbol = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
    const long = "x".repeat(64);
    const cases = ["a", "_", "9", "n".repeat(50), "n".repeat(51), long, `${"x".repeat(63)}y`, `${"x".repeat(41)}_0123456789abcdef`];
    const symbols = cases.map(birdProtocolName);
    for (const s of symbols) expect(s).toMatch(symbol);
    expect(new Set(symbols).size).toBe(cases.length);
    expect(birdProtocolName("node2")).toBe("peer_node2");
    expect(birdProtocolName("n".repeat(50))).toBe(`peer_${"n".repeat(50)}`);
    expect(birdProtocolName(long)).toHaveLength(63);
    expect(birdProtocolName(long)).toBe(birdProtocolName(long));
    expect(birdProtocolName(long)).toMatch(new RegExp(`^peer_${"x".repeat(41)}_[0-9a-f]{16}$`));
  });
});

describe("the BGP password", () => {
  const PEERS = "/etc/bird/peers.d/peers.conf";

  it("goes into every session as password \"...\" (TCP MD5), and only into peers.conf", () => {
    const state = desiredState(config({ bgpPassword: "s3cret pass!#~" }), peerMap(records(3)));
    expect(state.files.get(PEERS)).toBe(
      [
        "# The iBGP peers of node1: one per other mesh node, from their records in etcd.",
        "# Written by the bgpmesh node agent: changes made here are overwritten. The template",
        "# mesh_peer is in /etc/bird/bird.conf, which includes this file.",
        "# Holds the mesh's BGP password: the agent keeps it mode 0640, unreadable to other users.",
        'protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; password "s3cret pass!#~"; }',
        'protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; password "s3cret pass!#~"; }',
        "",
      ].join("\n"),
    );
    for (const [path, content] of state.files) if (path !== PEERS) expect(content).not.toContain("s3cret");
  });

  it("changes peers.conf when it changes (the reload path: birdc configure)", () => {
    const a = desiredState(config({ bgpPassword: "first-password" }), peerMap(records(2))).files;
    const b = desiredState(config({ bgpPassword: "second-password" }), peerMap(records(2))).files;
    expect(a.get(PEERS)).not.toBe(b.get(PEERS));
    expect(a.get("/etc/tinc/bgpmesh/tinc.conf")).toBe(b.get("/etc/tinc/bgpmesh/tinc.conf"));
  });

  it("is refused by the renderer too if it could end the BIRD string, without naming it", () => {
    const forged = { ...config(), bgpPassword: 'x"; } protocol bgp evil { neighbor 10.6.6.6; password "' };
    expect(() => desiredState(forged, peerMap(records(2)))).toThrow("bgpPassword cannot be written as a BIRD string");
    try {
      desiredState(forged, peerMap(records(2)));
    } catch (e) {
      expect((e as Error).message).not.toContain("evil");
    }
  });
});
