import { describe, expect, it } from "vitest";
import { renderBirdPeers } from "../../../src/agent/desired.js";
import { judge, meshNodes, type MeshNode } from "../../../src/verify/matrix.js";
import { observeScript, parseObservation } from "../../../src/verify/observe.js";
import { run } from "../../../src/util/exec.js";
import { config, record } from "../agent/helpers.js";

const nodes: MeshNode[] = [
  { host: "node1", protocol: "peer_node1", meshAddress: "10.0.0.1", announces: ["192.168.1.0/24"] },
  { host: "node2", protocol: "peer_node2", meshAddress: "10.0.0.2", announces: [] },
];

describe("verify", () => {
  it("calls a mesh converged only when every session, ping and route is there and etcd is healthy", () => {
    const good = new Map([
      ["node1", parseObservation("B\tpeer_node2\t1\nP\t10.0.0.2\t1\n")],
      ["node2", parseObservation("B\tpeer_node1\t1\nP\t10.0.0.1\t1\nR\t192.168.1.0/24\n")],
    ]);
    const v = judge(nodes, good, { healthy: 3, members: 3 });
    expect(v.converged).toBe(true);
    expect(v.table.split("\n")[1]).toMatch(/^node1\s+-\s+BPR/);

    const bad = new Map([
      ["node1", parseObservation("B\tpeer_node2\t0\nP\t10.0.0.2\t1\n")],
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
    expect(parseObservation("B\tpeer_x\t1\nP\t10.0.0.2\t0\nR\t192.0.2.0/24\n")).toEqual({
      bgp: { peer_x: true },
      ping: { "10.0.0.2": false },
      routes: ["192.0.2.0/24"],
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
    const peersConf = renderBirdPeers(config({ name: "short" }), [record(long, 2)]);
    const agentName = /protocol bgp (\S+) from/.exec(peersConf)?.[1];
    expect(agentName).toHaveLength(63);
    const views = new Map([
      ["short", { bgp: { [agentName!]: true }, ping: { "10.0.0.2": true }, routes: ["192.0.2.0/24"] }],
      [long, { bgp: { peer_short: true }, ping: { "10.0.0.1": true }, routes: [] }],
    ]);
    const v = judge(meshNodes(["short", long], values), views, { healthy: 1, members: 1 });
    expect(v.problems).toEqual([]);
    expect(v.table.split("\n")[1]).toMatch(/^short\s+-\s+BPR/);
    expect(v.converged).toBe(true);
  });
});
