import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { projectFile } from "../../../src/util/project.js";
import { dashboardMetrics, dashboardPanels, dashboardQueries, metricNames } from "./promql-metrics.js";

const DASHBOARD_FILE = projectFile("roles/grafana/files/bgpmesh-dashboard.json");

type Json = Record<string, any>;
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Json;
const panels = dashboardPanels(dashboard) as Json[];
const queryPanels = panels.filter((p) => p["type"] !== "row");

/**
 * Every metric the dashboard may query: what live scrapes of the lab's hosts expose. The end-to-end
 * test checks the dashboard against a live scrape as well; this list catches a mistake offline.
 */
const KNOWN_METRICS = new Set([
  // the node agent (:2112), src/agent/daemon/metrics.ts, and prom-client's defaults with its prefix
  "bgpmesh_peers_known",
  "bgpmesh_bgp_sessions_established",
  "bgpmesh_bgp_routes_imported",
  "bgpmesh_bgp_routes_filtered",
  "bgpmesh_reconciles_total",
  "bgpmesh_reloads_total",
  "bgpmesh_reconcile_seconds_bucket",
  "bgpmesh_reconcile_seconds_sum",
  "bgpmesh_reconcile_seconds_count",
  "bgpmesh_invalid_records",
  "bgpmesh_invalid_records_total",
  "bgpmesh_etcd_connected",
  "bgpmesh_lease_held",
  "bgpmesh_watch_resyncs_total",
  "bgpmesh_reloads_owed",
  "bgpmesh_agent_process_resident_memory_bytes",
  "bgpmesh_agent_process_cpu_seconds_total",
  // prometheus-bird-exporter 1.4.1 (-bird.v2 -format.new)
  "bird_protocol_up",
  "bird_protocol_uptime",
  "bird_protocol_prefix_import_count",
  "bird_protocol_prefix_export_count",
  "bird_protocol_prefix_filter_count",
  "bird_protocol_prefix_preferred_count",
  "bird_protocol_changes_update_import_receive_count",
  "bird_bfd_session_up",
  "bird_bfd_session_uptime_seconds",
  // etcd 3.4 (/metrics on the client port)
  "etcd_server_has_leader",
  "etcd_server_is_leader",
  "etcd_server_leader_changes_seen_total",
  "etcd_server_proposals_failed_total",
  "etcd_mvcc_db_total_size_in_bytes",
  "etcd_disk_wal_fsync_duration_seconds_bucket",
  // Prometheus itself, for every target
  "up",
]);

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

describe("the Grafana dashboard (roles/grafana/files/bgpmesh-dashboard.json)", () => {
  it("is a dashboard Grafana 9 and later can load: uid, title, schema version, panels", () => {
    expect(dashboard).toMatchObject({ uid: "bgpmesh", title: "bgpmesh: BGP over tinc", id: null });
    expect(dashboard["schemaVersion"]).toBeGreaterThanOrEqual(36);
    expect(queryPanels.length).toBeGreaterThan(10);
    const ids = panels.map((p) => p["id"]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lays its panels out on the 24-column grid without overlaps", () => {
    const cells = new Map<string, unknown>();
    for (const p of panels) {
      const { x, y, w, h } = p["gridPos"] as { x: number; y: number; w: number; h: number };
      expect(x + w, `panel ${p["id"]}`).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `panel ${p["id"]} overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, p["id"]);
        }
      }
    }
  });

  it("has a Prometheus data source variable and a multi-value node variable with All", () => {
    const vars = dashboard["templating"]["list"] as Json[];
    expect(vars.find((v) => v["name"] === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    const node = vars.find((v) => v["name"] === "node");
    expect(node).toMatchObject({ type: "query", datasource: DATASOURCE, multi: true, includeAll: true, definition: "label_values(bgpmesh_peers_known, node)" });
    expect(node!["query"]).toMatchObject({ query: "label_values(bgpmesh_peers_known, node)" });
  });

  it("queries, in every panel and every target, the data source the variable chose", () => {
    for (const p of queryPanels) {
      const where = `panel ${p["id"]} ${p["title"]}`;
      expect(p["datasource"], where).toEqual(DATASOURCE);
      const targets = p["targets"] as Json[];
      expect(targets.length, where).toBeGreaterThan(0);
      for (const t of targets) {
        expect(t["datasource"], where).toEqual(DATASOURCE);
        expect(t["expr"], where).toMatch(/\S/);
      }
      const refIds = targets.map((t) => t["refId"]);
      expect(new Set(refIds).size, where).toBe(refIds.length);
    }
  });

  it("shows only the nodes chosen: every agent and exporter series is filtered by $node", () => {
    for (const q of dashboardQueries(dashboard)) {
      if (q.where.startsWith("variable")) continue;
      const perNode = metricNames(q.expr).some((m) => m.startsWith("bgpmesh_") || m.startsWith("bird_"));
      if (perNode) expect(q.expr, q.where).toContain('node=~"$node"');
    }
  });

  it("queries only metrics the agent, the BIRD exporter, etcd and Prometheus expose", () => {
    const unknown = [...dashboardMetrics(dashboard)].filter(([m]) => !KNOWN_METRICS.has(m)).map(([m, where]) => `${m} (${where})`);
    expect(unknown).toEqual([]);
  });

  it("shows what the issue asks for: sessions by state, peers known vs established, reconcile latency, reloads, invalid records, etcd", () => {
    const used = dashboardMetrics(dashboard);
    for (const m of [
      "bird_protocol_up",
      "bgpmesh_peers_known",
      "bgpmesh_bgp_sessions_established",
      "bgpmesh_reconcile_seconds_bucket",
      "bgpmesh_reloads_total",
      "bgpmesh_invalid_records",
      "bgpmesh_etcd_connected",
      "bgpmesh_lease_held",
      "etcd_server_has_leader",
      "bird_bfd_session_up",
    ]) {
      expect(used.has(m), m).toBe(true);
    }
    const exprs = dashboardQueries(dashboard).map((q) => q.expr);
    expect(exprs).toContain('count by (node, state) (count by (node, state, name) (bird_protocol_up{proto="BGP", name=~"peer6?_.*", node=~"$node"}))');
    expect(exprs).toContain('bgpmesh_peers_known{node=~"$node"} - 1');
  });

  it("shows, per node and peer, the routes the peer's import filter refused", () => {
    const panel = queryPanels.find((p) => p["title"] === "Routes filtered from peers");
    expect(panel?.["targets"]).toMatchObject([{ expr: 'bgpmesh_bgp_routes_filtered{node=~"$node"}', legendFormat: "{{node}} from {{peer}}" }]);
  });
});
