import { describe, expect, it } from "vitest";
import { planSessions, renderPeersFile } from "../../../src/agent/bgp-sessions.js";
import type { Allocation } from "../../../src/agent/allocations.js";
import { config, record } from "./helpers.js";

const names = ["node1", "node2", "node3", "node4", "node5"];
const peersOf = (self: string) => names.map((n, i) => record(n, i + 1)).filter((r) => r.name !== self);

/** node2 and node3 reflect when `reflect`; every node may announce 198.51.<i>.0/24 and more specifics to /28. */
function allocations(reflect: boolean): Map<string, Allocation> {
  return new Map(
    names.map((name, i) => [
      name,
      {
        version: 1 as const,
        name,
        meshAddress: `10.0.0.${i + 1}`,
        routerId: `10.0.0.${i + 1}`,
        prefixes: [{ prefix: `198.51.${i + 1}.0/24`, ge: 24, le: 28 }],
        ...(reflect && (name === "node2" || name === "node3") && { routeReflector: true as const }),
      },
    ]),
  );
}

function peersFile(self: string, reflect: boolean): string {
  const cfg = config({ name: self, meshAddress: `10.0.0.${names.indexOf(self) + 1}`, routerId: `10.0.0.${names.indexOf(self) + 1}`, requireAllocations: true });
  const a = allocations(reflect);
  return renderPeersFile(cfg, planSessions(cfg, peersOf(self), a).sessions, a);
}

describe("BGP sessions: full mesh", () => {
  it("without reflectors every node has a session with every other, each importing only its own allocation", () => {
    const text = peersFile("node1", false);
    const sessions = text.split("\n").filter((l) => l.startsWith("protocol bgp"));
    expect(sessions).toHaveLength(4);
    expect(sessions[0]).toBe(
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; ipv4 { import filter { if net ~ [ 198.51.2.0/24{24,28} ] then accept; reject; }; import keep filtered on; receive limit 2000 action block; import limit 1000 action block; }; }",
    );
    // A full mesh's file has no reflector filters: an upgrade leaves it byte for byte as it was.
    expect(text).not.toContain("filter bgpmesh_reflect");
  });
});

describe("BGP sessions: route reflectors", () => {
  it("a client peers only with the reflectors, and takes from them each route only via its owner", () => {
    const text = peersFile("node1", true);
    const sessions = text.split("\n").filter((l) => l.startsWith("protocol bgp"));
    expect(sessions.map((l) => /protocol bgp (\S+)/.exec(l)![1])).toEqual(["peer_node2", "peer_node3"]);
    for (const l of sessions) expect(l).toContain("import filter bgpmesh_reflected;");
    for (const l of sessions) expect(l).not.toMatch(/rr client|next hop self off/);
    // Every other node's prefixes, each with that node's mesh address as the only next hop; not its own.
    expect(text).toContain("  if bgp_next_hop = 10.0.0.4 && net ~ [ 198.51.4.0/24{24,28} ] then accept;");
    expect(text).toContain("  if bgp_next_hop = 10.0.0.2 && net ~ [ 198.51.2.0/24{24,28} ] then accept;");
    expect(text).not.toContain("bgp_next_hop = 10.0.0.1 ");
    // A client passes nothing on: the reflectors' export filter is not defined in its file.
    expect(text).not.toContain("filter bgpmesh_reflect {");
  });

  it("a reflector peers with everyone, passing routes on with their next hops kept", () => {
    const text = peersFile("node2", true);
    const sessions = text.split("\n").filter((l) => l.startsWith("protocol bgp"));
    expect(sessions).toHaveLength(4);
    const byPeer = new Map(sessions.map((l) => [/protocol bgp peer_(\S+)/.exec(l)![1], l]));
    // A client's session imports that client's own allocation, as in a full mesh.
    expect(byPeer.get("node1")).toContain("import filter { if net ~ [ 198.51.1.0/24{24,28} ] then accept; reject; };");
    // From the other reflector: every node's routes, each via its owner.
    expect(byPeer.get("node3")).toContain("import filter bgpmesh_reflected;");
    // No protocol option differs from a full mesh's line (`rr client` is the template's): only the
    // channel's, which BIRD changes without restarting the session.
    for (const l of sessions) {
      expect(l).toMatch(/^protocol bgp peer_node\d from mesh_peer \{ neighbor 10\.0\.0\.\d; ipv4 \{ .*; \}; \}$/);
      expect(l).not.toMatch(/rr client|cluster/);
    }
    for (const l of sessions) expect(l).toContain("export filter bgpmesh_reflect; next hop self off;");
    expect(text).toMatch(/filter bgpmesh_reflect \{\n {2}if source = RTS_STATIC && proto = "bgpmesh_static" then accept;\n {2}if source = RTS_BGP then accept;\n {2}reject;\n\}/);
  });

  it("who reflects comes only from the controller's allocations: without them (no TLS) the mesh stays full", () => {
    const cfg = config({ name: "node1" });
    const { role, sessions } = planSessions(cfg, peersOf("node1"));
    expect(role).toBe("mesh");
    expect(sessions).toHaveLength(4);
  });
});

describe("BGP sessions: hold and keepalive times", () => {
  const cfg = config({ name: "node1", bgpTimers: { holdSeconds: 90, keepaliveSeconds: 30 } });
  const lineOf = (sessions: { name: string; line: string }[], name: string) => sessions.find((s) => s.name === name)!.line;

  it("a new session gets the configured timers; without bgpTimers it takes the template's", () => {
    const { sessions } = planSessions(cfg, peersOf("node1"));
    expect(lineOf(sessions, "node2")).toBe("protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; hold time 90; keepalive time 30; }");
    const plain = planSessions(config({ name: "node1" }), peersOf("node1")).sessions;
    expect(lineOf(plain, "node2")).toBe("protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; }");
  });

  it("a session already in peers.conf keeps its timers, none included: BIRD would restart it", () => {
    const onDisk = [
      "# header",
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; }",
      "protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; hold time 240; keepalive time 80; }",
    ].join("\n");
    const { sessions } = planSessions(cfg, peersOf("node1"), undefined, onDisk);
    expect(lineOf(sessions, "node2")).toBe("protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; }");
    expect(lineOf(sessions, "node3")).toBe("protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; hold time 240; keepalive time 80; }");
    // node4 and node5 are new: the configured ones.
    expect(lineOf(sessions, "node4")).toContain(" hold time 90; keepalive time 30; ");
  });

  it("kept timers stay when the session's filters change (full mesh → reflector client)", () => {
    const before = planSessions(cfg, peersOf("node1"), allocations(false)).sessions;
    const onDisk = before.map((s) => s.line.replace(" hold time 90; keepalive time 30;", "")).join("\n");
    const after = planSessions(cfg, peersOf("node1"), allocations(true), onDisk).sessions;
    expect(lineOf(after, "node2")).toContain("import filter bgpmesh_reflected;");
    expect(lineOf(after, "node2")).not.toContain("hold time");
  });
});

describe("BGP sessions: graceful restart", () => {
  const timers = { holdSeconds: 90, keepaliveSeconds: 30 };
  const lineOf = (sessions: { name: string; line: string }[], name: string) => sessions.find((s) => s.name === name)!.line;

  it("a new session asks for graceful restart, and with BFD treats a BFD failure as one", () => {
    const withBfd = config({ name: "node1", bgpTimers: timers, bgpGracefulRestart: { restartSeconds: 60, bfdGraceful: true } });
    expect(lineOf(planSessions(withBfd, peersOf("node1")).sessions, "node2")).toBe(
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; hold time 90; keepalive time 30; graceful restart on; graceful restart time 60; bfd graceful; }",
    );
    const noBfd = config({ name: "node1", bgpGracefulRestart: { restartSeconds: 120, bfdGraceful: false } });
    expect(lineOf(planSessions(noBfd, peersOf("node1")).sessions, "node2")).toBe(
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; graceful restart on; graceful restart time 120; }",
    );
  });

  it("a session already in peers.conf keeps its graceful restart options or their absence; a new one gets them", () => {
    const cfg = config({ name: "node1", bgpTimers: timers, bgpGracefulRestart: { restartSeconds: 60, bfdGraceful: true } });
    const onDisk = [
      // made by the previous version: timers, no graceful restart
      "protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; hold time 90; keepalive time 30; }",
      // made with another restart time
      "protocol bgp peer_node3 from mesh_peer { neighbor 10.0.0.3; hold time 90; keepalive time 30; graceful restart on; graceful restart time 300; bfd graceful; }",
    ].join("\n");
    const { sessions } = planSessions(cfg, peersOf("node1"), undefined, onDisk);
    expect(lineOf(sessions, "node2")).toBe("protocol bgp peer_node2 from mesh_peer { neighbor 10.0.0.2; hold time 90; keepalive time 30; }");
    expect(lineOf(sessions, "node3")).toContain("; graceful restart on; graceful restart time 300; bfd graceful; }");
    expect(lineOf(sessions, "node4")).toContain("; graceful restart on; graceful restart time 60; bfd graceful; }");
  });

  it("kept options stay when the session's filters change (full mesh → reflector client)", () => {
    const cfg = config({ name: "node1", bgpGracefulRestart: { restartSeconds: 60, bfdGraceful: false } });
    const before = planSessions(cfg, peersOf("node1"), allocations(false)).sessions;
    const after = planSessions(cfg, peersOf("node1"), allocations(true), before.map((s) => s.line).join("\n")).sessions;
    expect(lineOf(after, "node2")).toMatch(/neighbor 10\.0\.0\.2; graceful restart on; graceful restart time 60; ipv4 \{ import filter bgpmesh_reflected;/);
  });
});
