import { describe, expect, it } from "vitest";
import { refreshBgpMetrics } from "../../../../src/agent/daemon/bgp-stats.js";
import type { RunResult } from "../../../../src/agent/daemon/exec.js";
import { AgentMetrics } from "../../../../src/agent/daemon/metrics.js";
import { BIRD2_ALL, BIRD3_ALL } from "../../fields/show-protocols-all.js";

const answer = (stdout: string): RunResult => ({ ok: true, code: 0, stdout, stderr: "" });
const DOWN: RunResult = { ok: false, code: 1, stdout: "Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n", stderr: "", error: "exit 1" };

/** A fake runner: records argv and gives the answers in turn. */
function fakeRun(...answers: RunResult[]) {
  const calls: string[] = [];
  const run = async (argv: readonly string[]) => {
    calls.push(argv.join(" "));
    return answers.shift() ?? DOWN;
  };
  return { run, calls };
}

/** The sample lines of one metric, as a scrape shows them (HELP and TYPE left out). */
const samples = async (metrics: AgentMetrics, name: string) =>
  (await metrics.registry.getSingleMetricAsString(name)).split("\n").filter((l) => l && !l.startsWith("#"));

describe("the agent's BGP metrics, from birdc show protocols all", () => {
  it("gives the sessions established and each peer's routes imported and filtered, in one birdc call", async () => {
    const metrics = new AgentMetrics(false);
    const f = fakeRun(answer(BIRD2_ALL));
    await refreshBgpMetrics(f.run, metrics);
    expect(f.calls).toEqual(["birdc show protocols all"]);
    expect(await samples(metrics, "bgpmesh_bgp_sessions_established")).toEqual(["bgpmesh_bgp_sessions_established 2"]);
    expect(await samples(metrics, "bgpmesh_bgp_routes_filtered")).toEqual([
      'bgpmesh_bgp_routes_filtered{peer="peer_node2"} 3',
      'bgpmesh_bgp_routes_filtered{peer="peer_node3"} 0',
      // BIRD prints no filtered count without `import keep filtered on`
      'bgpmesh_bgp_routes_filtered{peer="peer_node4"} 0',
    ]);
    expect(await samples(metrics, "bgpmesh_bgp_routes_imported")).toEqual([
      'bgpmesh_bgp_routes_imported{peer="peer_node2"} 1',
      'bgpmesh_bgp_routes_imported{peer="peer_node3"} 0',
      'bgpmesh_bgp_routes_imported{peer="peer_node4"} 0',
    ]);
  });

  it("adds a peer's ipv4 and ipv6 channels (BIRD 3)", async () => {
    const metrics = new AgentMetrics(false);
    await refreshBgpMetrics(fakeRun(answer(BIRD3_ALL)).run, metrics);
    expect(await samples(metrics, "bgpmesh_bgp_routes_imported")).toContain('bgpmesh_bgp_routes_imported{peer="peer_node2"} 3');
    expect(await samples(metrics, "bgpmesh_bgp_routes_filtered")).toContain('bgpmesh_bgp_routes_filtered{peer="peer_node2"} 3');
    expect(await samples(metrics, "bgpmesh_bgp_sessions_established")).toEqual(["bgpmesh_bgp_sessions_established 1"]);
  });

  it("counts the IPv6 sessions (peer6_*) apart: the IPv4 count keeps its meaning", async () => {
    const metrics = new AgentMetrics(false);
    // BIRD 2's table with each session twice: once as it is, once as the peer's IPv6 session.
    const both = `${BIRD2_ALL}\n${BIRD2_ALL.split("\n").slice(2).join("\n").replace(/^peer_(node\d)/gm, "peer6_$1")}`;
    await refreshBgpMetrics(fakeRun(answer(both)).run, metrics);
    expect(await samples(metrics, "bgpmesh_bgp_sessions_established")).toEqual(["bgpmesh_bgp_sessions_established 2"]);
    expect(await samples(metrics, "bgpmesh_bgp_sessions6_established")).toEqual(["bgpmesh_bgp_sessions6_established 2"]);
    expect(await samples(metrics, "bgpmesh_bgp_routes_filtered")).toContain('bgpmesh_bgp_routes_filtered{peer="peer6_node2"} 3');
  });

  it("drops the series of a peer gone from BIRD, and every route series while BIRD cannot be asked", async () => {
    const metrics = new AgentMetrics(false);
    const withoutNode4 = BIRD2_ALL.slice(0, BIRD2_ALL.indexOf("peer_node4 BGP"));
    const f = fakeRun(answer(BIRD2_ALL), answer(withoutNode4), DOWN);
    await refreshBgpMetrics(f.run, metrics);
    expect(await samples(metrics, "bgpmesh_bgp_routes_filtered")).toHaveLength(3);
    await refreshBgpMetrics(f.run, metrics);
    expect((await samples(metrics, "bgpmesh_bgp_routes_filtered")).map((l) => l.split(" ")[0])).toEqual([
      'bgpmesh_bgp_routes_filtered{peer="peer_node2"}',
      'bgpmesh_bgp_routes_filtered{peer="peer_node3"}',
    ]);
    await refreshBgpMetrics(f.run, metrics);
    expect(await samples(metrics, "bgpmesh_bgp_sessions_established")).toEqual(["bgpmesh_bgp_sessions_established 0"]);
    expect(await samples(metrics, "bgpmesh_bgp_routes_filtered")).toEqual([]);
    expect(await samples(metrics, "bgpmesh_bgp_routes_imported")).toEqual([]);
  });
});
