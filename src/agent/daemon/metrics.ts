// The agent's Prometheus metrics (own registry) and its HTTP endpoint: /metrics, and /healthz
// (200 once the agent has read the peers from etcd at least once and holds its lease, else 503).
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class AgentMetrics {
  readonly registry = new Registry();
  readonly peersKnown = new Gauge({ name: "bgpmesh_peers_known", help: "Valid peer records in the last snapshot (this node included)", registers: [this.registry] });
  readonly bgpEstablished = new Gauge({ name: "bgpmesh_bgp_sessions_established", help: "peer_* BGP sessions Established (birdc show protocols all)", registers: [this.registry] });
  readonly bgpEstablished6 = new Gauge({ name: "bgpmesh_bgp_sessions6_established", help: "peer6_* (IPv6) BGP sessions Established (birdc show protocols all)", registers: [this.registry] });
  readonly routesImported = new Gauge({
    name: "bgpmesh_bgp_routes_imported",
    help: "Routes imported from a peer: accepted by its BGP protocol's import filter (birdc show protocols all, ipv4 and ipv6 channels)",
    labelNames: ["peer"] as const,
    registers: [this.registry],
  });
  readonly routesFiltered = new Gauge({
    name: "bgpmesh_bgp_routes_filtered",
    help: "Routes a peer sent that its BGP protocol's import filter refused; counted by BIRD only with `import keep filtered on` (birdc show protocols all)",
    labelNames: ["peer"] as const,
    registers: [this.registry],
  });
  readonly reconciles = new Counter({ name: "bgpmesh_reconciles_total", help: "Reconciles by result", labelNames: ["result"] as const, registers: [this.registry] });
  readonly reloads = new Counter({ name: "bgpmesh_reloads_total", help: "Reloads issued by daemon and result", labelNames: ["daemon", "result"] as const, registers: [this.registry] });
  readonly reconcileSeconds = new Histogram({
    name: "bgpmesh_reconcile_seconds",
    help: "Duration of a reconcile (render, write, reload)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly invalidRecords = new Gauge({ name: "bgpmesh_invalid_records", help: "Invalid records in the last snapshot", registers: [this.registry] });
  readonly invalidRecordsTotal = new Counter({ name: "bgpmesh_invalid_records_total", help: "Invalid records seen: each invalid key (and reason) counted once until it changes or goes", registers: [this.registry] });
  readonly etcdConnected = new Gauge({ name: "bgpmesh_etcd_connected", help: "1 when the last etcd read or watch succeeded", registers: [this.registry] });
  readonly leaseHeld = new Gauge({ name: "bgpmesh_lease_held", help: "1 while this node's lease and record are in etcd", registers: [this.registry] });
  readonly watchResyncs = new Counter({ name: "bgpmesh_watch_resyncs_total", help: "Full re-reads of the /peers/ prefix after the first (watch error, disconnect, compaction, periodic)", registers: [this.registry] });
  readonly reloadsOwed = new Gauge({ name: "bgpmesh_reloads_owed", help: "Reloads that failed and will be retried", labelNames: ["daemon"] as const, registers: [this.registry] });
  readonly tlsReloadFailures = new Counter({
    name: "bgpmesh_etcd_tls_reload_failures_total",
    help: "Changed etcd client certificate files the agent could not switch to (it kept the client it had)",
    registers: [this.registry],
  });
  private certExpiry: Gauge | undefined;

  constructor(defaults = true) {
    // The event loop delay is sampled every second, not every 10 ms (prom-client's default): an
    // otherwise idle node --lite-mode process with the 10 ms sampler used 18.8 ms of CPU a second,
    // with 1 s 9.2 ms (bench: 25 s each, side by side), and a 100-node lab runs a hundred agents.
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "bgpmesh_agent_", eventLoopMonitoringPrecision: 1000 });
    this.etcdConnected.set(0);
    this.leaseHeld.set(0);
    for (const result of ["ok", "error"]) this.reconciles.inc({ result }, 0);
    for (const daemon of ["tinc", "bird"]) {
      this.reloadsOwed.set({ daemon }, 0);
      for (const result of ["ok", "failed"]) this.reloads.inc({ daemon, result }, 0);
    }
  }

  /**
   * The notAfter of the client certificate in use, as Unix seconds. Registered on first use: an
   * agent without etcdTls has no such series (a 0 would look like a certificate expired in 1970).
   */
  setClientCertExpiry(unixSeconds: number): void {
    this.certExpiry ??= new Gauge({
      name: "bgpmesh_etcd_client_cert_expiry_seconds",
      help: "notAfter of the etcd client certificate in use (Unix seconds)",
      registers: [this.registry],
    });
    this.certExpiry.set(unixSeconds);
  }
}

export interface Health {
  synced: () => boolean;
  leaseHeld: () => boolean;
}

/**
 * `beforeScrape` runs (and is awaited) before each /metrics answer: what is costly to read, like
 * BIRD's sessions, is read when someone asks rather than on a timer that a hundred idle agents
 * would each keep running.
 */
export function startMetricsServer(metrics: AgentMetrics, health: Health, port: number, onError: (e: Error) => void, beforeScrape?: () => Promise<void>): Server {
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    if (url === "/metrics") {
      (beforeScrape?.() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => metrics.registry.metrics())
        .then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
      return;
    }
    if (url === "/healthz") {
      const synced = health.synced();
      const lease = health.leaseHeld();
      const ok = synced && lease;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(`${ok ? "ok" : "unhealthy"} synced=${synced} lease=${lease}\n`);
      return;
    }
    res.writeHead(404).end();
  });
  server.on("error", onError);
  server.listen(port);
  return server;
}
