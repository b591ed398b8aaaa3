import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planSessions, renderPeersFile } from "../../../src/agent/bgp-sessions.js";
import { judge, meshNodes, type MeshNode } from "../../../src/verify/matrix.js";
import { observeScript, parseObservation, parseRoute } from "../../../src/verify/observe.js";
import { run } from "../../../src/util/exec.js";
import { config, record } from "../agent/helpers.js";

/** A line of `birdc -r show protocols` (BIRD 2.0.12), as the probe sends it back. */
/** A line of `ip -o -4 route show proto bird`, as the probe sends it back. */
const route = (r: string) => `ROUTE\t${r} dev tinc0 proto bird metric 32\n`;

const bird = (name: string, state: string, info: string) => `BIRDC\t${name.padEnd(10)} BGP        ---        ${state.padEnd(6)} 04:04:03.962  ${info}\n`;

const nodes: MeshNode[] = [
  { host: "node1", protocol: "peer_node1", meshAddress: "10.0.0.1", announces: ["192.168.1.0/24"], role: "mesh" },
  { host: "node2", protocol: "peer_node2", meshAddress: "10.0.0.2", announces: [], role: "mesh" },
];

describe("verify", () => {
  it("calls a mesh converged only when every session, ping and route is there and etcd is healthy", () => {
    const good = new Map([
      ["node1", parseObservation(`${bird("peer_node2", "up", "Established")}P\t10.0.0.2\t1\n`)],
      ["node2", parseObservation(`${bird("peer_node1", "up", "Established")}P\t10.0.0.1\t1\n${route("192.168.1.0/24 via 10.0.0.1")}`)],
    ]);
    const v = judge(nodes, good, { healthy: 3, members: 3 });
    expect(v.converged).toBe(true);
    expect(v.table.split("\n")[1]).toMatch(/^node1\s+-\s+BPR/);

    const bad = new Map([
      ["node1", parseObservation(`${bird("peer_node2", "start", "Active        Socket: Connection refused")}P\t10.0.0.2\t1\n`)],
      ["node2", "node2 (10.213.1.12:22): connection timed out after 10s"],
    ]);
    const w = judge(nodes, bad, { healthy: 2, members: 3 });
    expect(w.converged).toBe(false);
    expect(w.problems).toEqual([
      "node1: BGP session with node2 is not Established",
      "node2: node2 (10.213.1.12:22): connection timed out after 10s",
      "etcd: 2 of 3 members healthy",
    ]);
  });

  it("asks a host with one valid shell command", async () => {
    const r = await run("sh", ["-n", "-c", observeScript(["10.0.0.2", "10.0.0.3"])], { allowFailure: true });
    expect(r.code).toBe(0);
    expect(parseObservation(`${bird("peer_x", "up", "Established")}P\t10.0.0.2\t0\n${route("192.0.2.0/24 via 10.0.0.2")}`)).toEqual({
      bgp: { peer_x: true },
      ping: { "10.0.0.2": false },
      routes: ["192.0.2.0/24"],
      nextHops: { "192.0.2.0/24": ["10.0.0.2"] },
    });
  });

  it("finds a long-named peer's session under the name the agent gives it in BIRD", () => {
    // Over 50 characters the agent shortens the protocol name with a hash: verify must expect that name.
    const long = `edge_${"x".repeat(50)}_7`;
    const values = new Map<string, Record<string, unknown>>([
      ["short", { tinc_name: "short", mesh_address: "10.0.0.1", bgp_announce: [] }],
      [long, { tinc_name: long, mesh_address: "10.0.0.2", bgp_announce: ["192.0.2.0/24"] }],
    ]);
    // What the agent on `short` writes for its peer, as BIRD then lists it in `show protocols`.
    const cfg = config({ name: "short" });
    const peersConf = renderPeersFile(cfg, planSessions(cfg, [record(long, 2)]).sessions);
    const agentName = /protocol bgp (\S+) from/.exec(peersConf)?.[1];
    expect(agentName).toHaveLength(63);
    const views = new Map([
      ["short", { bgp: { [agentName!]: true }, ping: { "10.0.0.2": true }, routes: ["192.0.2.0/24"], nextHops: { "192.0.2.0/24": ["10.0.0.2"] } }],
      [long, { bgp: { peer_short: true }, ping: { "10.0.0.1": true }, routes: [], nextHops: {} }],
    ]);
    const v = judge(meshNodes(["short", long], values), views, { healthy: 1, members: 1 });
    expect(v.problems).toEqual([]);
    expect(v.table.split("\n")[1]).toMatch(/^short\s+-\s+BPR/);
    expect(v.converged).toBe(true);
  });

  it("reads a host's sessions from the raw birdc table its probe sends back", async () => {
    // birdc, ping and ip as a lab host answers (BIRD 2.0.12's table, the last line without its
    // newline); the probe runs as it does over SSH.
    const bin = mkdtempSync(join(tmpdir(), "bgpmesh-observe-"));
    try {
      const tool = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      tool(
        "birdc",
        "printf 'BIRD 2.0.12 ready.\\nName       Proto      Table      State  Since         Info\\n" +
          "device1    Device     ---        up     04:00:59.492\\n" +
          "peer_node2 BGP        ---        up     04:04:03.962  Established\\n" +
          "peer_node4 BGP        ---        start  2026-11-24 04:04:04  Connect\\n" +
          "peer_node3 BGP        ---        up     2026-11-24 04:04:04  Established'",
      );
      tool("ping", 'for a; do :; done; [ "$a" = 10.0.0.2 ]');
      tool("ip", "echo '192.0.2.0/24 via 10.0.0.2 dev tinc0 proto bird metric 32'");
      const r = await run("sh", ["-c", observeScript(["10.0.0.2", "10.0.0.3"])], { env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}` } });
      expect(parseObservation(r.stdout)).toEqual({
        bgp: { peer_node2: true, peer_node4: false, peer_node3: true },
        ping: { "10.0.0.2": true, "10.0.0.3": false },
        routes: ["192.0.2.0/24"],
        nextHops: { "192.0.2.0/24": ["10.0.0.2"] },
      });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("says which node a hijacked or unannounced route goes via, and marks that node's cell", () => {
    const three: MeshNode[] = [...nodes, { host: "node3", protocol: "peer_node3", meshAddress: "10.0.0.3", announces: [], role: "mesh" }];
    const up = (names: string[]) => names.map((n) => bird(`peer_${n}`, "up", "Established")).join("");
    const views = new Map([
      ["node1", parseObservation(`${up(["node2", "node3"])}P\t10.0.0.2\t1\nP\t10.0.0.3\t1\n`)],
      // node3 announced node1's prefix (a more specific too) and a default route: node2 took them.
      [
        "node2",
        parseObservation(
          `${up(["node1", "node3"])}P\t10.0.0.1\t1\nP\t10.0.0.3\t1\n` +
            route("default via 10.0.0.3") +
            route("192.168.1.0/24 via 10.0.0.3") +
            route("192.168.1.0/27 via 10.0.0.3"),
        ),
      ],
      ["node3", parseObservation(`${up(["node1", "node2"])}P\t10.0.0.1\t1\nP\t10.0.0.2\t1\n${route("192.168.1.0/24 via 10.0.0.1")}`)],
    ]);
    const v = judge(three, views, { healthy: 1, members: 1 });
    expect(v.converged).toBe(false);
    expect(v.problems).toEqual([
      "node2: route 0.0.0.0/0 via 10.0.0.3 (node3) is announced by no node of the inventory",
      "node2: route 192.168.1.0/24 goes via 10.0.0.3 (node3), not via its owner node1",
      "node2: route 192.168.1.0/27 via 10.0.0.3 (node3) is announced by no node of the inventory",
      "node2: routes announced by node1 are not in the kernel via node1",
    ]);
    const row = (host: string) => v.table.split("\n").find((l) => l.startsWith(host))!.trim().split(/\s+/).slice(1);
    expect(row("node2")).toEqual(["BPr", "-", "BPr"]);
    expect(row("node1")).toEqual(["-", "BPR", "BPR"]);
  });

  it("reads multipath and host routes as ip -o prints them", () => {
    expect(parseRoute("192.0.2.0/24 proto bird metric 32 \\tnexthop via 10.0.0.2 dev tinc0 weight 1 \\tnexthop via 10.0.0.3 dev tinc0 weight 1")).toEqual({
      dest: "192.0.2.0/24",
      via: ["10.0.0.2", "10.0.0.3"],
    });
    expect(parseRoute("198.51.100.7 via 10.0.0.2 dev tinc0 proto bird metric 32")).toEqual({ dest: "198.51.100.7/32", via: ["10.0.0.2"] });
  });

  it("takes a route within a node's allocated ranges (bgp_allowed_prefixes) as that node's own", () => {
    const values = new Map<string, Record<string, unknown>>([
      ["a", { tinc_name: "a", mesh_address: "10.0.0.1", bgp_announce: [] }],
      [
        "b",
        {
          tinc_name: "b",
          mesh_address: "10.0.0.2",
          bgp_announce: [],
          bgp_allocation: { version: 1, name: "b", meshAddress: "10.0.0.2", routerId: "10.0.0.2", prefixes: [{ prefix: "203.0.113.0/24", ge: 24, le: 28 }] },
        },
      ],
    ]);
    const view = (extra: string) => parseObservation(`${bird("peer_a", "up", "Established")}${bird("peer_b", "up", "Established")}P\t10.0.0.1\t1\nP\t10.0.0.2\t1\n${extra}`);
    const ok = judge(meshNodes(["a", "b"], values), new Map([["a", view(route("203.0.113.64/27 via 10.0.0.2"))], ["b", view("")]]), { healthy: 1, members: 1 });
    expect(ok.problems).toEqual([]);
    const outside = judge(meshNodes(["a", "b"], values), new Map([["a", view(route("203.0.113.0/29 via 10.0.0.2"))], ["b", view("")]]), { healthy: 1, members: 1 });
    expect(outside.problems).toEqual(["a: route 203.0.113.0/29 via 10.0.0.2 (b) is announced by no node of the inventory"]);
  });

  it("with route reflectors, expects no session between two clients and shows '-' there", () => {
    const values = new Map<string, Record<string, unknown>>([
      ["rr", { tinc_name: "rr", mesh_address: "10.0.0.1", bgp_announce: [], bgp_route_reflector: true }],
      ["c1", { tinc_name: "c1", mesh_address: "10.0.0.2", bgp_announce: ["192.0.2.0/26"], bgp_route_reflector: false }],
      ["c2", { tinc_name: "c2", mesh_address: "10.0.0.3", bgp_announce: [], bgp_route_reflector: false }],
    ]);
    const pings = "P\t10.0.0.1\t1\nP\t10.0.0.2\t1\nP\t10.0.0.3\t1\n";
    const views = new Map([
      ["rr", parseObservation(`${bird("peer_c1", "up", "Established")}${bird("peer_c2", "up", "Established")}${pings}ROUTE\t192.0.2.0/26 via 10.0.0.2 dev tinc0 proto bird\n`)],
      ["c1", parseObservation(`${bird("peer_rr", "up", "Established")}${pings}`)],
      // c2 has the route from the reflector, via its owner c1.
      ["c2", parseObservation(`${bird("peer_rr", "up", "Established")}${pings}ROUTE\t192.0.2.0/26 via 10.0.0.2 dev tinc0 proto bird\n`)],
    ]);
    const v = judge(meshNodes(["rr", "c1", "c2"], values), views, { healthy: 1, members: 1 });
    expect(v.problems).toEqual([]);
    expect(v.table.split("\n")[3]).toMatch(/^c2\s+BPR\s+-PR\s+-\s*$/);
    // The same mesh with c2's session to the reflector down is not converged.
    views.set("c2", parseObservation(`${bird("peer_rr", "start", "Active")}${pings}`));
    const down = judge(meshNodes(["rr", "c1", "c2"], values), views, { healthy: 1, members: 1 });
    expect(down.problems).toContain("c2: BGP session with rr is not Established");
    expect(down.problems).toContain("c2: routes announced by c1 are not in the kernel via c1");
  });
});

describe("verify with IPv6 (mesh_ipv6)", () => {
  const values = new Map<string, Record<string, unknown>>([
    ["a", { tinc_name: "a", mesh_address: "10.0.0.1", mesh_address6: "fd00::1", bgp_announce: ["192.0.2.0/24", "2001:db8:100::/48"] }],
    ["b", { tinc_name: "b", mesh_address: "10.0.0.2", mesh_address6: "fd00::2", bgp_announce: [] }],
    ["c", { tinc_name: "c", mesh_address: "10.0.0.3", bgp_announce: [] }],
  ]);
  const route6 = (r: string) => `ROUTE6\t${r} dev tinc0 proto bird metric 32 pref medium\n`;
  const up = (names: string[]) => names.map((n) => bird(n, "up", "Established")).join("");

  it("judges a second matrix over the hosts with IPv6: sessions peer6_*, pings to IPv6 mesh addresses, IPv6 routes via the owner's IPv6 address", () => {
    const nodes6 = meshNodes(["a", "b", "c"], values);
    expect(nodes6[0]!.announces).toEqual(["192.0.2.0/24"]);
    expect(nodes6[0]!.v6).toEqual({ protocol: "peer6_a", meshAddress: "fd00::1", announces: ["2001:db8:100::/48"] });
    expect(nodes6[2]!.v6).toBeUndefined();
    const views = new Map([
      ["a", parseObservation(`${up(["peer_b", "peer_c", "peer6_b"])}P\t10.0.0.2\t1\nP\t10.0.0.3\t1\nP\tfd00::2\t1\n`)],
      ["b", parseObservation(`${up(["peer_a", "peer_c"])}P\t10.0.0.1\t1\nP\t10.0.0.3\t1\nP\tfd00::1\t0\n${route("192.0.2.0/24 via 10.0.0.1")}${route6("2001:db8:100::/48 via fd00::3")}`)],
      ["c", parseObservation(`${up(["peer_a", "peer_b"])}P\t10.0.0.1\t1\nP\t10.0.0.2\t1\n${route("192.0.2.0/24 via 10.0.0.1")}`)],
    ]);
    const v = judge(nodes6, views, { healthy: 1, members: 1 });
    expect(v.problems).toEqual([
      "b: route 2001:db8:100::/48 goes via fd00::3, not via its owner a",
      "b: IPv6 BGP session with a is not Established",
      "b: no ping reply from a (fd00::1) over the mesh",
      "b: IPv6 routes announced by a are not in the kernel via a",
    ]);
    const table = v.table.split("\n");
    expect(table[0]).toBe("IPv4:");
    const v6 = table.slice(table.indexOf("IPv6:"));
    expect(v6[2]).toMatch(/^a\s+-\s+BPR\s*$/);
    expect(v6[3]).toMatch(/^b\s+bpr\s+-\s*$/);
    expect(v6.some((l) => l.startsWith("c "))).toBe(false);
  });

  it("reads IPv6 routes: the default, host routes, multipath hops", () => {
    expect(parseRoute("default via fd00::3 dev tinc0 proto bird metric 32", 6)).toEqual({ dest: "::/0", via: ["fd00::3"] });
    expect(parseRoute("2001:db8::7 via fd00::2 dev tinc0 proto bird", 6)).toEqual({ dest: "2001:db8::7/128", via: ["fd00::2"] });
    expect(parseRoute("2001:db8::/32 proto bird metric 32 \\tnexthop via inet6 fd00::2 dev tinc0 weight 1 \\tnexthop via fd00::3 dev tinc0 weight 1", 6)).toEqual({
      dest: "2001:db8::/32",
      via: ["fd00::2", "fd00::3"],
    });
    expect(observeScript(["10.0.0.2", "fd00::2"])).toContain("ip -o -6 route show proto bird");
  });
});

describe("verify with anycast", () => {
  it("expects no kernel route to a prefix a node announces itself (its own static route wins there)", () => {
    const values = new Map<string, Record<string, unknown>>([
      ["a", { tinc_name: "a", mesh_address: "10.0.0.1", bgp_announce: ["192.168.77.0/24"] }],
      ["b", { tinc_name: "b", mesh_address: "10.0.0.2", bgp_announce: ["192.168.77.0/24", "198.51.100.0/26"] }],
    ]);
    const up = (p: string) => bird(p, "up", "Established");
    const views = new Map([
      ["a", parseObservation(`${up("peer_b")}P\t10.0.0.2\t1\n${route("198.51.100.0/26 via 10.0.0.2")}`)],
      ["b", parseObservation(`${up("peer_a")}P\t10.0.0.1\t1\n`)],
    ]);
    const v = judge(meshNodes(["a", "b"], values), views, { healthy: 1, members: 1 });
    expect(v.problems).toEqual([]);
    // a's own prefix missing at b is still seen: 198.51.100.0/26 gone from a's kernel.
    const missing = judge(meshNodes(["a", "b"], values), new Map([["a", parseObservation(`${up("peer_b")}P\t10.0.0.2\t1\n`)], ["b", views.get("b")!]]), { healthy: 1, members: 1 });
    expect(missing.problems).toEqual(["a: routes announced by b are not in the kernel via b"]);
  });
});
