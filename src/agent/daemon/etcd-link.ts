// One etcd client with what runs on it: this node's registration and the /peers/ mirror. The
// agent has one at a time, two for the moment a new client certificate takes over (etcd-switch.ts).
// Everything the agent asks of etcd goes through these two: a range read and a watch of /peers/,
// a put of /peers/<name>, and the lease calls (grant, keepalive, revoke) of its own lease.
import { Etcd3, type IOptions } from "etcd3";
import { errLine, type Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import { PeerWatch } from "./peer-watch.js";
import { Registration } from "./registration.js";
import type { TlsMaterial } from "./tls-files.js";
import { installIpv6IdentityCheck } from "./tls-identity.js";
import { withTimeout } from "./timing.js";

/** Builds a client for the given TLS material (none without etcdTls); injected in tests. */
export type ClientFactory = (tls: TlsMaterial | undefined) => Etcd3;

export function etcdClientOptions(endpoints: readonly string[], tls: TlsMaterial | undefined): IOptions {
  return {
    hosts: [...endpoints],
    dialTimeout: 5000,
    // etcd refuses pings more often than every 5 s, and any ping outside a call by default
    // (GOAWAY "too_many_pings"): ping every 20 s, only with a call (the watch and keepalive streams)
    // open. With 5 s to answer, every agent of a loaded 50-host lab dropped its connection about
    // every 10 s, and the TLS handshakes and full re-reads that followed kept the machine loaded
    // (drops went on, less often, at 15 s: late pongs are not their only cause). A member that
    // vanishes is still noticed by the lease's keepalives.
    grpcOptions: { "grpc.keepalive_time_ms": 20_000, "grpc.keepalive_timeout_ms": 15_000, "grpc.keepalive_permit_without_calls": 0 },
    // No `auth`: with client-cert-auth, etcd takes the certificate's CN as the user.
    ...(tls ? { credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key } } : {}),
  };
}

export function etcdClientFactory(endpoints: readonly string[]): ClientFactory {
  // An etcd member at an IPv6 address: see tls-identity.ts (Node 18 rejects its certificate).
  installIpv6IdentityCheck();
  return (tls) => new Etcd3(etcdClientOptions(endpoints, tls));
}

export interface EtcdLinkDeps {
  client: Etcd3;
  /** the watch's own client (closed with the link); default: `client` */
  watchClient?: Etcd3;
  key: string;
  value: string;
  extra?: readonly { key: string; value: string }[];
  ttlSeconds: number;
  log: Logger;
  metrics?: AgentMetrics;
  onHeld: (held: boolean) => void;
  onSnapshot: (reason: string) => void;
  onChange: () => void;
  resyncEveryMs?: number;
  /** what the mirror holds (PeerWatch's prefixes) */
  prefixes?: readonly string[];
}

export class EtcdLink {
  readonly client: Etcd3;
  private readonly watchClient: Etcd3;
  readonly registration: Registration;
  readonly watch: PeerWatch;
  /** Resolves at the first full read of /peers/. */
  readonly synced: Promise<void>;
  /** Resolves when the record is first put under a lease. */
  readonly held: Promise<void>;
  /** The last warning logged about this client: why a new client did not come up. */
  lastProblem = "";
  private readonly log: Logger;

  constructor(deps: EtcdLinkDeps) {
    this.client = deps.client;
    this.watchClient = deps.watchClient ?? deps.client;
    this.log = {
      info: (msg) => deps.log.info(msg),
      warn: (msg) => {
        this.lastProblem = msg;
        deps.log.warn(msg);
      },
      error: (msg) => deps.log.error(msg),
    };
    let synced!: () => void;
    let held!: () => void;
    this.synced = new Promise((resolve) => (synced = resolve));
    this.held = new Promise((resolve) => (held = resolve));
    this.watch = new PeerWatch({
      client: this.watchClient,
      log: this.log,
      metrics: deps.metrics,
      resyncEveryMs: deps.resyncEveryMs,
      ...(deps.prefixes && { prefixes: deps.prefixes }),
      onSnapshot: (reason) => {
        synced();
        deps.onSnapshot(reason);
      },
      onChange: deps.onChange,
    });
    this.registration = new Registration({
      client: deps.client,
      key: deps.key,
      value: deps.value,
      ...(deps.extra && { extra: deps.extra }),
      ttlSeconds: deps.ttlSeconds,
      log: this.log,
      onHeld: (h) => {
        if (h) held();
        deps.onHeld(h);
      },
    });
  }

  start(): void {
    this.registration.start();
    this.watch.start();
  }

  /**
   * Stops both and closes the client, each part within 3 s (a gRPC stream that hangs must not hold
   * up a `systemctl restart`). On shutdown the revoke goes first: it is what the peers wait for. On
   * a handover the record is under the new lease already, and the old watch goes first, so nothing
   * it sees meanwhile counts.
   */
  async close(opts: { handedOver: boolean; keepRecord?: boolean }): Promise<void> {
    const bounded = (p: Promise<unknown>, what: string) => withTimeout(p, 3000, `${what} did not stop in 3 s`).catch((e) => this.log.warn(errLine(e)));
    if (opts.handedOver) {
      await bounded(this.watch.stop(), "the watch");
      await bounded(this.registration.stop({ handedOver: true }), "registration");
    } else {
      await bounded(this.registration.stop({ keepRecord: opts.keepRecord }), "registration");
      await bounded(this.watch.stop(), "the watch");
    }
    this.client.close();
    if (this.watchClient !== this.client) this.watchClient.close();
  }
}
