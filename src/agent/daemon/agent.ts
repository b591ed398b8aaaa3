// The running agent: config → own record → metrics server, the etcd connection (registration and
// the /peers/ mirror, replaced without a flap when the client certificate changes: etcd-switch.ts),
// and reconciles (debounced after events, at once after a full read, on a timer when a reload is
// owed or a retained host file expires). Reconciles never overlap.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { posix } from "node:path";
import type { AgentConfig } from "../config.js";
import { ALLOCATIONS_PREFIX } from "../allocations.js";
import { IPV6_PREFIX } from "../../fields/allocation.js";
import { PEERS6_PREFIX, PEERS_PREFIX, ownRecord, ownRecord6 } from "../record.js";
import { refreshBgpMetrics } from "./bgp-stats.js";
import { etcdClientFactory, type ClientFactory } from "./etcd-link.js";
import { EtcdSwitch } from "./etcd-switch.js";
import { runCommand, type Runner } from "./exec.js";
import { errLine, redactingLogger, type Logger } from "./log.js";
import { AgentMetrics, startMetricsServer } from "./metrics.js";
import { Reconciler } from "./reconciler.js";
import { ReconcileScheduler } from "./scheduler.js";
import { describeCertificate, readTlsMaterial, tlsStamp, type TlsMaterial } from "./tls-files.js";
import { TlsReload } from "./tls-reload.js";
import { withTimeout } from "./timing.js";

export class StartupError extends Error {
  override name = "StartupError";
}

/** This node's record as JSON, from rsa_key.pub; throws StartupError with one clear line. */
export function ownRecordJson(config: AgentConfig): string {
  const keyPath = posix.join(config.paths.tincDir, config.meshName, "rsa_key.pub");
  let pem: string;
  try {
    pem = readFileSync(keyPath, "utf8");
  } catch (e) {
    throw new StartupError(`${keyPath}: cannot read this node's tinc public key: ${(e as NodeJS.ErrnoException).code ?? errLine(e)}`);
  }
  const r = ownRecord(config, pem);
  if (!r.ok) throw new StartupError(`this node's own record is invalid (${r.reason}); check the config and ${keyPath}`);
  return JSON.stringify(r.record);
}

/** This node's IPv6 record (/ipv6/peers/<name>) as a key and JSON, or none without IPv6. */
function ownRecord6Entries(config: AgentConfig): { key: string; value: string }[] {
  const r = ownRecord6(config);
  if (!r) return [];
  if (!r.ok) throw new StartupError(`this node's own IPv6 record is invalid (${r.reason}); check the config`);
  return [{ key: `${PEERS6_PREFIX}${config.name}`, value: JSON.stringify(r.record6) }];
}

export interface StartupTls {
  material: TlsMaterial;
  stamp: string;
}

/** The etcd TLS files as the agent starts with them (none without etcdTls); throws StartupError. */
export function startupTls(config: AgentConfig): StartupTls | undefined {
  if (!config.etcdTls) return undefined;
  // Stamped before reading: a file replaced in between is read again at the first check.
  const stamp = tlsStamp(config.etcdTls);
  try {
    return { material: readTlsMaterial(config.etcdTls), stamp };
  } catch (e) {
    throw new StartupError(`etcdTls: ${errLine(e)}`);
  }
}

export interface AgentOptions {
  run?: Runner;
  tls?: StartupTls;
  newClient?: ClientFactory;
}

export class Agent {
  readonly metrics = new AgentMetrics();
  private readonly etcd: EtcdSwitch;
  private readonly tlsReload: TlsReload | undefined;
  private readonly scheduler: ReconcileScheduler;
  private readonly log: Logger;
  private readonly run: Runner;
  private server: Server | undefined;
  private bgpRefresh: Promise<void> | undefined;
  private bgpRefreshAt = 0;
  private readonly ownKey: string;
  private readonly ownExtra: { key: string; value: string }[];
  private readonly reconciler: Reconciler;

  constructor(
    private readonly config: AgentConfig,
    private readonly ownValue: string,
    log: Logger,
    opts: AgentOptions = {},
  ) {
    this.log = redactingLogger(log, [config.bgpPassword]);
    this.run = opts.run ?? runCommand;
    this.ownKey = `${PEERS_PREFIX}${config.name}`;
    this.ownExtra = ownRecord6Entries(config);
    const reconciler = new Reconciler({ config, run: this.run, log: this.log, metrics: this.metrics });
    this.reconciler = reconciler;
    this.etcd = new EtcdSwitch(
      {
        newClient: opts.newClient ?? etcdClientFactory(config.etcdEndpoints),
        watchOnOwnClient: true,
        key: this.ownKey,
        value: ownValue,
        ...(this.ownExtra.length > 0 && { extra: this.ownExtra }),
        ttlSeconds: config.leaseTtlSeconds,
        // With allocations required, the mirror holds them too: a peer counts once its allocation is
        // read. With IPv6, the /ipv6/ records and allocations as well.
        prefixes: [PEERS_PREFIX, ...(config.requireAllocations ? [ALLOCATIONS_PREFIX] : []), ...(config.meshAddress6 !== undefined ? [IPV6_PREFIX] : [])],
        log: this.log,
        metrics: this.metrics,
        onHeld: (held) => this.metrics.leaseHeld.set(held ? 1 : 0),
        onSnapshot: () => {
          this.scheduler.now();
          this.checkOwnRecord();
        },
        onChange: () => {
          this.scheduler.soon();
          this.checkOwnRecord();
        },
      },
      opts.tls?.material,
    );
    this.scheduler = new ReconcileScheduler({ reconciler, entries: () => this.etcd.kvs, log: this.log });
    if (config.etcdTls && opts.tls) {
      this.tlsReload = new TlsReload(
        { files: config.etcdTls, apply: (m) => this.etcd.switchTo(m), name: config.name, log: this.log, metrics: this.metrics },
        opts.tls.material,
        opts.tls.stamp,
      );
    }
  }

  start(): void {
    const tls = this.tlsReload ? `, client certificate ${describeCertificate(this.tlsReload.material)}` : "";
    const bgp = this.config.bgpPassword === undefined ? "" : ", BGP sessions with a TCP MD5 password";
    this.log.info(`bgpmesh-agent ${this.config.name}: etcd ${this.config.etcdEndpoints.join(",")}${tls}${bgp}, metrics on :${this.config.metricsPort}`);
    this.tlsReload?.warnOnName(this.tlsReload.material);
    this.server = startMetricsServer(
      this.metrics,
      { synced: () => this.etcd.synced, leaseHeld: () => this.etcd.leaseHeld },
      this.config.metricsPort,
      (e) => this.log.error(`metrics server: ${errLine(e)}`),
      () => this.bgpMetrics(),
    );
    this.etcd.start();
    this.tlsReload?.start();
  }

  /**
   * BIRD's sessions for a scrape: one `birdc` at most every 2 s, however many scrapers ask. It used
   * to run every 5 s whether anyone scraped or not: on a 100-node lab that alone was 20 process
   * spawns a second.
   */
  private bgpMetrics(): Promise<void> {
    const now = Date.now();
    if (!this.bgpRefresh || now - this.bgpRefreshAt >= 2000) {
      this.bgpRefreshAt = now;
      this.bgpRefresh = refreshBgpMetrics(this.run, this.metrics);
    }
    return this.bgpRefresh;
  }

  /** SIGHUP: check the etcd TLS files now rather than at the next poll. */
  reloadTls(reason: string): Promise<void> {
    if (!this.tlsReload) {
      this.log.info(`${reason}: no etcdTls in the config, nothing to reload`);
      return Promise.resolve();
    }
    return this.tlsReload.check(reason);
  }

  /** Someone deleted or overwrote this node's record while the lease is held: put it back. */
  private checkOwnRecord(): void {
    if (!this.etcd.leaseHeld || !this.etcd.synced) return;
    const current = this.etcd.kvs.get(this.ownKey);
    if (current !== this.ownValue || this.ownExtra.some((r) => this.etcd.kvs.get(r.key) !== r.value)) void this.etcd.reput();
  }

  /**
   * On a restart: may the record stay for the next agent? Only when that agent, with the config now
   * on disk, keeps this node's BGP sessions as they are (Reconciler.peersConfChangesWith).
   */
  restartKeepsSessions(next: AgentConfig): boolean {
    return !this.reconciler.peersConfChangesWith(next, this.etcd.kvs);
  }

  /** `keepRecord`: systemd is restarting the agent; the record stays for the next one (stop-kind.ts). */
  async stop(opts: { keepRecord?: boolean } = {}): Promise<void> {
    this.tlsReload?.stop();
    // No reconcile once stopping: files written now would never get their reload (the next
    // agent finds them already as desired).
    await this.scheduler.stop();
    // The lease is revoked (or, on a restart, let go) first, within 3 s (see EtcdLink.close).
    await this.etcd.stop(opts);
    this.server?.closeAllConnections();
    await withTimeout(new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve())), 3000, "the metrics server did not stop in 3 s").catch((e) =>
      this.log.warn(errLine(e)),
    );
  }
}
