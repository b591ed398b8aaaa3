// The running agent: config → own record → metrics server, registration, the /peers/ mirror,
// and reconciles (debounced after events, at once after a full read, on a timer when a reload
// is owed or a retained host file expires). Reconciles never overlap.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { posix } from "node:path";
import { Etcd3 } from "etcd3";
import type { AgentConfig } from "../config.js";
import { PEERS_PREFIX, ownRecord } from "../record.js";
import { countEstablished } from "./birdc.js";
import { runCommand, type Runner } from "./exec.js";
import { errLine, type Logger } from "./log.js";
import { AgentMetrics, startMetricsServer } from "./metrics.js";
import { PeerWatch } from "./peer-watch.js";
import { Reconciler } from "./reconciler.js";
import { Registration } from "./registration.js";
import { ReconcileScheduler } from "./scheduler.js";
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

export class Agent {
  readonly metrics = new AgentMetrics();
  private readonly client: Etcd3;
  private readonly registration: Registration;
  private readonly watch: PeerWatch;
  private readonly scheduler: ReconcileScheduler;
  private server: Server | undefined;
  private birdTimer: NodeJS.Timeout | undefined;
  private readonly ownKey: string;

  constructor(
    private readonly config: AgentConfig,
    private readonly ownValue: string,
    private readonly log: Logger,
    private readonly run: Runner = runCommand,
  ) {
    this.ownKey = `${PEERS_PREFIX}${config.name}`;
    this.client = new Etcd3({
      hosts: config.etcdEndpoints,
      dialTimeout: 5000,
      // etcd refuses pings more often than every 5 s, and any ping outside a call by default
      // (GOAWAY "too_many_pings"): ping every 10 s, only with a call (the watch and keepalive streams) open.
      grpcOptions: { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5000, "grpc.keepalive_permit_without_calls": 0 },
    });
    const reconciler = new Reconciler({ config, run, log, metrics: this.metrics });
    this.watch = new PeerWatch({
      client: this.client,
      log,
      metrics: this.metrics,
      onSnapshot: () => {
        this.scheduler.now();
        this.checkOwnRecord();
      },
      onChange: () => {
        this.scheduler.soon();
        this.checkOwnRecord();
      },
    });
    this.scheduler = new ReconcileScheduler({ reconciler, entries: () => this.watch.kvs, log });
    this.registration = new Registration({
      client: this.client,
      key: this.ownKey,
      value: ownValue,
      ttlSeconds: config.leaseTtlSeconds,
      log,
      onHeld: (held) => this.metrics.leaseHeld.set(held ? 1 : 0),
    });
  }

  start(): void {
    this.log.info(`bgpmesh-agent ${this.config.name}: etcd ${this.config.etcdEndpoints.join(",")}, metrics on :${this.config.metricsPort}`);
    this.server = startMetricsServer(
      this.metrics,
      { synced: () => this.watch.synced, leaseHeld: () => this.registration.isHeld },
      this.config.metricsPort,
      (e) => this.log.error(`metrics server: ${errLine(e)}`),
    );
    this.registration.start();
    this.watch.start();
    const refreshBird = () => {
      this.run(["birdc", "show", "protocols"], 5000).then((r) => this.metrics.bgpEstablished.set(r.ok ? countEstablished(r.stdout) : 0));
    };
    refreshBird();
    this.birdTimer = setInterval(refreshBird, 5000);
  }

  /** Someone deleted or overwrote this node's record while the lease is held: put it back. */
  private checkOwnRecord(): void {
    if (!this.registration.isHeld || !this.watch.synced) return;
    const current = this.watch.kvs.get(this.ownKey);
    if (current !== this.ownValue) void this.registration.reput();
  }

  async stop(): Promise<void> {
    if (this.birdTimer) clearInterval(this.birdTimer);
    // No reconcile once stopping: files written now would never get their reload (the next
    // agent finds them already as desired).
    await this.scheduler.stop();
    // Each part gets a bounded time: a stop that hangs on a gRPC stream would hold up every
    // `systemctl restart` of the agent (the revoke, which matters, is done inside the first 3 s).
    const bounded = (p: Promise<unknown>, what: string) => withTimeout(p, 3000, `${what} did not stop in 3 s`).catch((e) => this.log.warn(errLine(e)));
    await bounded(this.registration.stop(), "registration");
    await bounded(this.watch.stop(), "the watch");
    this.client.close();
    this.server?.closeAllConnections();
    await bounded(new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve())), "the metrics server");
  }
}
