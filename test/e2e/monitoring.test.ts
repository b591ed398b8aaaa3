// Monitoring on real lab hosts: Prometheus (Debian's) on node1 scraping every node's agent, BIRD
// exporter and etcd member; the mesh's alerts firing and clearing as BIRD stops and starts; the
// Grafana dashboard's queries checked against live scrapes; `status` over SSH. node2 runs Debian 13
// (BIRD 3, its exporter 1.4.2, etcd 3.5), node1 and node3 Debian 12: the alerts, `status` and the
// dashboard must read both.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectFile } from "../../src/util/project.js";
import { cli, cliOk, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";
import { dashboardMetrics } from "../unit/grafana/promql-metrics.js";

const NAME = "e2e-monitor";
let lab: LabInfo;
let inventory: string;

function writeInventory(work: string, monitoringVars = ""): string {
  const file = join(work, "inventory.yml");
  writeFileSync(
    file,
    meshInventory(lab, {
      etcd: lab.hosts.map((h) => h.name),
      groups: `    monitoring:
      hosts:
        node1:
      vars:
        monitoring_scrape_interval: 5s
        monitoring_evaluation_interval: 5s
${monitoringVars}    grafana:
      hosts:
        node2:
`,
    }),
  );
  return file;
}

const prometheus = () => `http://${lab.hosts[0]!.address}:9090`;
async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${prometheus()}${path}`);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return ((await r.json()) as { data: T }).data;
}
interface Target {
  labels: { job: string; node: string };
  health: string;
  lastError: string;
}
interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}
const targets = async () => (await api<{ activeTargets: Target[] }>("/api/v1/targets?state=active")).activeTargets;
const alerts = async () => (await api<{ alerts: Alert[] }>("/api/v1/alerts")).alerts;

async function until<T>(what: string, timeoutSec: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutSec * 1000;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutSec}s${last ? ` (${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const scrape = async (host: string, port: number) => (await (await fetch(`http://${host}:${port}/metrics`)).text()) as string;
const namesIn = (exposition: string) => new Set(exposition.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));

labPerFile(
  NAME,
  3,
  (l, work) => {
    lab = l;
    inventory = writeInventory(work);
  },
  { release: "bookworm,trixie" },
);

describe("monitoring", () => {
  it("Prometheus on node1 reports every agent, BIRD exporter and etcd member up", async () => {
    const applied = await cli("apply", "-i", inventory, "--no-color");
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    await cliOk("verify", "-i", inventory, "--wait", "60s", "--no-color");
    const up = await until("every target up", 90, async () => {
      const t = await targets();
      return t.length === 10 && t.every((x) => x.health === "up") ? t : undefined;
    });
    expect(up.map((t) => `${t.labels.job}/${t.labels.node}`).sort()).toEqual([
      "bgpmesh-agent/node1",
      "bgpmesh-agent/node2",
      "bgpmesh-agent/node3",
      "bird/node1",
      "bird/node2",
      "bird/node3",
      "etcd/node1",
      "etcd/node2",
      "etcd/node3",
      "prometheus/node1",
    ]);
    const rules = await api<{ groups: { rules: { name: string; health: string }[] }[] }>("/api/v1/rules");
    const loaded = rules.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name)).toEqual(expect.arrayContaining(["BgpSessionDown", "AgentLostLease", "AgentLostEtcd", "EtcdMemberUnhealthy", "ReconcilesFailing"]));
    expect(loaded.filter((r) => r.health !== "ok")).toEqual([]);
  });

  it("status shows every host reachable, its agent active and all its sessions up", async () => {
    const r = await cli("status", "-i", inventory, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of ["node1", "node2", "node3"]) expect(r.stdout).toMatch(new RegExp(`^${h}\\s+yes\\s+active\\s+2/2\\s+0\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d push from `, "m"));
    expect(r.stdout).toContain("3 hosts: 3 ok");
  });

  it("stopping BIRD on a node makes the session-down alert pending, then firing; it clears when BIRD is back", async () => {
    await sshOk(lab, "node3", "systemctl stop bird");
    const down = (a: Alert) => a.labels.alertname === "BgpSessionDown" && a.labels.name === "peer_node3";
    const pending = await until("BgpSessionDown pending", 60, async () => {
      const a = (await alerts()).filter(down);
      return a.length === 2 && a.every((x) => x.state === "pending") ? a : undefined;
    });
    // node1's exporter reads BIRD 2, node2's BIRD 3.
    expect(pending.map((a) => a.labels.node).sort()).toEqual(["node1", "node2"]);
    const status = await cli("status", "-i", inventory, "--no-color");
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^node3\s+yes\s+active\s+bird down/m);
    // for: 1m in the rule, evaluated every 5 s
    const firing = await until("BgpSessionDown firing", 120, async () => {
      const a = (await alerts()).filter(down);
      return a.length === 2 && a.every((x) => x.state === "firing") ? a : undefined;
    }).catch(async (e) => {
      // What kept it pending, for the log: missed scrapes, slow ones, the states the series went through.
      const q = async (expr: string) => JSON.stringify(await api(`/api/v1/query?query=${encodeURIComponent(expr)}`).catch((x) => String(x)));
      console.log(
        [
          `alerts: ${JSON.stringify((await alerts()).filter(down))}`,
          `min up over 3m: ${await q("min_over_time(up[3m])")}`,
          `max scrape duration over 3m: ${await q('max_over_time(scrape_duration_seconds{job="bird"}[3m])')}`,
          `peer_node3 samples by state over 3m: ${await q('count_over_time(bird_protocol_up{name="peer_node3"}[3m])')}`,
        ].join("\n"),
      );
      throw e;
    });
    expect(firing.map((a) => a.labels.node).sort()).toEqual(["node1", "node2"]);

    await sshOk(lab, "node3", "systemctl start bird");
    await until("BgpSessionDown cleared", 90, async () => ((await alerts()).some((a) => a.labels.alertname === "BgpSessionDown") ? undefined : true));
    await cliOk("verify", "-i", inventory, "--wait", "60s", "--no-color");
  });

  it("BgpSessionDown fires after its minute though the session's state label changes while it is down (promtool test rules)", async () => {
    const cases = readFileSync(projectFile("test/fixtures/monitoring/bgp-session-down.test.yml"), "utf8");
    const out = await sshOk(lab, "node1", `cat > /tmp/bgp-session-down.test.yml <<'EOF'\n${cases}EOF\npromtool test rules /tmp/bgp-session-down.test.yml 2>&1`);
    expect(out).toContain("SUCCESS");
  });

  it("a rule file promtool rejects never replaces the running one", async () => {
    const before = await sshOk(lab, "node1", "md5sum /etc/prometheus/rules/bgpmesh.rules.yml");
    const bad = writeInventory(join(inventory, ".."), "        monitoring_bgp_down_for: one minute\n");
    const r = await cli("apply", "-i", bad, "-l", "node1", "--no-color");
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/promtool check rules/);
    expect(await sshOk(lab, "node1", "md5sum /etc/prometheus/rules/bgpmesh.rules.yml")).toBe(before);
    writeInventory(join(inventory, ".."));
    expect((await api<{ groups: unknown[] }>("/api/v1/rules")).groups).toHaveLength(1);
  });

  it("every metric the Grafana dashboard queries is one a live agent, exporter or etcd exposes", async () => {
    const dashboard = JSON.parse(readFileSync(projectFile("roles/grafana/files/bgpmesh-dashboard.json"), "utf8"));
    const used = dashboardMetrics(dashboard);
    expect(used.size).toBeGreaterThan(10);
    // node1 (Debian 12: BIRD 2, etcd 3.4) and node2 (Debian 13: BIRD 3, etcd 3.5), each on its own.
    for (const host of lab.hosts.slice(0, 2)) {
      const a = host.address;
      const live = new Set(["up", ...namesIn(await scrape(a, 2112)), ...namesIn(await scrape(a, 9324)), ...namesIn(await scrape(a, 2381))]);
      expect([...used].filter(([m]) => !live.has(m)), host.name).toEqual([]);
    }
    const a = lab.hosts[0]!.address;
    // Grafana's files reached the host of the `grafana` group (Grafana itself is not in Debian).
    const files = await sshOk(lab, "node2", "cat /etc/grafana/provisioning/datasources/bgpmesh.yml; ls /etc/grafana/dashboards/bgpmesh/");
    expect(files).toContain(`http://${a}:9090`);
    expect(files).toContain("bgpmesh.json");
  });
});
