// Hitless operations and the chaos suite, on 4 real lab hosts of two Debian releases (node1 and
// node3 Debian 12 with BIRD 2 and etcd 3.4, node2 and node4 Debian 13 with BIRD 3 and etcd 3.5:
// a fleet being moved), with a traffic probe running all along: every host pings every other
// node's mesh address and samples BIRD's kernel routes and its sessions every 0.2 s
// (src/chaos/probe.ts). First the maintenance an operator does (an agent restart, an apply that
// restarts every agent, a BIRD package upgrade): nothing may drop. Then one fault each of two
// kinds: after each heals, the mesh converges by itself with nothing left owed, and a fault on one
// node costs no other pair an outage. Last, node3 (an etcd member) moves from Debian 12 to 13 by
// a rebuild and an apply, and nobody else loses a route. bench/chaos.mjs runs all twelve fault
// kinds, longer.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { etcdLeader, makeFault, prepareChaos, rebuildFault, type ChaosLab, type FaultKind } from "../../src/chaos/faults.js";
import { MeshProbe } from "../../src/chaos/probe.js";
import { chaosReport, owedReloads, runFault, verifyConverged, type ChaosTarget, type FaultResult } from "../../src/chaos/run.js";
import { lostPings, outages, routeGaps } from "../../src/chaos/samples.js";
import { cli, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-chaos";
let lab: LabInfo;
let chaosLab: ChaosLab;
let inventoryFile: string;
let targets: ChaosTarget[];
let probe: MeshProbe | undefined;
const results: FaultResult[] = [];

const meshAddress = (i: number) => `10.0.0.${11 + i}`;
const prefix = (i: number) => `192.168.${111 + i}.0/24`;

labPerFile(
  NAME,
  4,
  (l, work) => {
  lab = l;
  inventoryFile = join(work, "inventory.yml");
  writeFileSync(inventoryFile, meshInventory(lab, { hostVars: (_, i) => `, mesh_address: ${meshAddress(i)}, bgp_announce: [${prefix(i)}]` }));
  chaosLab = { name: NAME, sshConfigFile: lab.sshConfigFile, hosts: lab.hosts.map((h) => ({ name: h.name, address: h.address })), etcd: ["node1", "node2", "node3"] };
  targets = lab.hosts.map((h, i) => ({ name: h.name, meshAddress: meshAddress(i), prefixes: [prefix(i)] }));
  },
  { release: "bookworm,trixie" },
);
// The -e of the apply that restarted every agent: every later run passes it too.
const LEASE = ["-e", "agent_lease_ttl=13"];
const ETCDCTL = "set -a; . /etc/bgpmesh/etcd.env; set +a; etcdctl";

/** Each etcd member's version, as the cluster reports it. */
async function etcdVersions(): Promise<Record<string, string>> {
  const out = await sshOk(lab, "node1", `${ETCDCTL} endpoint status --cluster -w json`);
  const byUrl = new Map(lab.hosts.map((h) => [`https://${h.address}:2379`, h.name]));
  return Object.fromEntries((JSON.parse(out) as { Endpoint: string; Status: { version: string } }[]).map((e) => [byUrl.get(e.Endpoint) ?? e.Endpoint, e.Status.version.replace(/\.\d+$/, "")]));
}
/** BIRD's major version on a host ("2", "3"); bird2 2.0.12 may print a warning line before it. */
const birdVersion = async (h: string) => /^BIRD version (\d+)\./m.exec(await sshOk(lab, h, "bird --version 2>&1"))?.[1];

afterAll(() => {
  probe?.stop();
  if (results.length) console.log(`chaos suite (${NAME}):\n${chaosReport(results)}`);
});

const now = () => Date.now() / 1000;
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * What the probe saw in [start, end): outages (2+ consecutive pings of a pair lost), samples
 * missing a route, samples with a session down. Lone lost pings are logged, not failed: an idle
 * mesh loses one now and then at tinc's key renewals (src/chaos/samples.ts).
 */
async function seen(start: number, end: number) {
  await sleep(1.5);
  const lost = lostPings(probe!.pings, start, end);
  if (lost.length) console.log(`lone pings lost ${start.toFixed(0)}-${end.toFixed(0)}: ${lost.map((s) => `${s.from}>${s.to}#${s.seq}`).join(" ")}`);
  const gaps = routeGaps(probe!.routes, start, end);
  return {
    outages: Object.fromEntries(outages(lost)),
    missing: gaps.missing.map((s) => `${s.host} +${(s.t - start).toFixed(1)}s: ${s.routes.join(",")}`),
    down: gaps.down.map((s) => `${s.host} +${(s.t - start).toFixed(1)}s: ${s.sessionsDown.join(",")}`),
  };
}

describe("hitless operations", () => {
  it("the mesh comes up, and the probe sees every node answer and every route, and no outage while idle", async () => {
    const r = await cli("apply", "-i", inventoryFile, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = await verifyConverged(inventoryFile, 90);
    expect(v.ok, v.out).toBe(true);
    await prepareChaos(chaosLab);
    probe = new MeshProbe(chaosLab, targets);
    probe.start();
    await sleep(5);
    const hosts = new Set(probe.routes.map((s) => s.host));
    expect([...hosts].sort()).toEqual(["node1", "node2", "node3", "node4"]);
    // Each host has the 3 other nodes' prefixes, and its pings are answered.
    for (const h of hosts) expect(probe.routes.filter((s) => s.host === h).at(-1)!.routes).toHaveLength(3);
    expect(probe.pings.filter((s) => s.ok).length).toBeGreaterThan(100);
    // A mixed fleet: BIRD 2 and BIRD 3 peers, etcd 3.4 and 3.5 members (verify said every session is Established).
    expect(Object.fromEntries(await Promise.all(lab.hosts.map(async (h) => [h.name, await birdVersion(h.name)])))).toEqual({ node1: "2", node2: "3", node3: "2", node4: "3" });
    expect(await etcdVersions()).toEqual({ node1: "3.4", node2: "3.5", node3: "3.4" });
    const idleStart = now();
    await sleep(10);
    expect(await seen(idleStart, now())).toEqual({ outages: {}, missing: [], down: [] });
  });

  it("an agent restart on one node: no session down, no route gone, no ping lost", async () => {
    const start = now();
    await sshOk(lab, "node3", "systemctl restart bgpmesh-agent");
    await sleep(8);
    expect(await seen(start, now())).toEqual({ outages: {}, missing: [], down: [] });
  });

  it("an apply that restarts every agent (a changed agent config): no session down, no route gone, no ping lost", async () => {
    const start = now();
    const r = await cli("apply", "-i", inventoryFile, ...LEASE, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/node4: handler restart agent: done/);
    await sleep(5);
    expect(await seen(start, now())).toEqual({ outages: {}, missing: [], down: [] });
  });

  it("a BIRD 3 package upgrade on a Debian 13 node (dpkg restarts bird): its sessions come back and no node loses a route or a ping", async () => {
    const started = await sshOk(lab, "node2", "systemctl show bird -p ExecMainStartTimestampMonotonic");
    const start = now();
    await sshOk(lab, "node2", "DEBIAN_FRONTEND=noninteractive apt-get install -q -y --reinstall -o Dpkg::Options::=--force-confold bird3 >/dev/null");
    expect(await sshOk(lab, "node2", "systemctl show bird -p ExecMainStartTimestampMonotonic")).not.toBe(started);
    const v = await verifyConverged(inventoryFile, 60);
    expect(v.ok, v.out).toBe(true);
    const s = await seen(start, now());
    // Its sessions went down and came back (graceful restart): that alone is no loss.
    expect(s.down.length).toBeGreaterThan(0);
    expect({ outages: s.outages, missing: s.missing }).toEqual({ outages: {}, missing: [] });
  });
});

describe("the chaos suite: faults of two kinds, each healed", () => {
  // BIRD restarts on a Debian 12 node here (BIRD 2), after the BIRD 3 upgrade above. The kinds
  // left out here (agent-kill: the hitless tests above; tinc-restart, crash, etcd-kill, reboot,
  // loss, slow-link, isolate, partition-pair, split) run in bench/chaos.mjs: npm test must stay
  // within 30 minutes on 2 cores, and the move to Debian 13 below costs more than they did.
  const cases: { kind: FaultKind; victims: () => Promise<string[]>; noOtherLoss: boolean }[] = [
    { kind: "bird-restart", victims: async () => ["node3"], noOtherLoss: true },
    { kind: "etcd-leader-kill", victims: async () => [await etcdLeader(chaosLab)], noOtherLoss: true },
  ];
  for (const c of cases) {
    it(`${c.kind}: converges after the heal with nothing owed${c.noOtherLoss ? "; no other pair has an outage or loses a route" : ""}`, async () => {
      const fault = makeFault(chaosLab, c.kind, await c.victims(), 10);
      const r = await runFault(chaosLab, inventoryFile, probe!, targets, fault, { verifyWaitSeconds: 120 });
      results.push(r);
      expect(r.reconvergeSeconds, r.verifyTail).toBeDefined();
      expect(r.owed).toEqual([]);
      if (c.noOtherLoss) {
        expect(Object.fromEntries(r.outagesOther)).toEqual({});
        expect({ missing: r.routeSamplesMissing, first: r.firstMissing }).toEqual({ missing: 0, first: undefined });
      }
    });
  }

});

describe("moving a node from Debian 12 to 13", () => {
  it("node3, an etcd member, rebuilt as Debian 13 and applied: it rejoins with its address and prefix, and no other node loses a route or a ping", async () => {
    const r = await runFault(chaosLab, inventoryFile, probe!, targets, rebuildFault(chaosLab, "node3", "trixie", inventoryFile, LEASE), { verifyWaitSeconds: 120 });
    results.push(r);
    expect(r.reconvergeSeconds, r.verifyTail).toBeDefined();
    expect(r.owed).toEqual([]);
    expect(Object.fromEntries(r.outagesOther)).toEqual({});
    expect({ missing: r.routeSamplesMissing, first: r.firstMissing }).toEqual({ missing: 0, first: undefined });
    expect(await birdVersion("node3")).toBe("3");
    // The etcd member came back as a new member of the same cluster (etcd-join.sh), now 3.5.
    expect(await etcdVersions()).toEqual({ node1: "3.4", node2: "3.5", node3: "3.5" });
    // Its address and prefix are the ones it had: every other node routes node3's prefix via it.
    for (const h of ["node1", "node2", "node4"]) {
      expect(await sshOk(lab, h, `ip -4 route show ${prefix(2)}`)).toContain(`via ${meshAddress(2)}`);
    }
  });

  it("after the suite a plan changes nothing and no agent owes a reload", async () => {
    expect(await owedReloads(chaosLab, ["node1", "node2", "node3", "node4"])).toEqual([]);
    const r = await cli("plan", "-i", inventoryFile, ...LEASE, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of ["node1", "node2", "node3", "node4"]) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+unchanged=\\d+\\s+to change=0`, "m"));
  });
});
