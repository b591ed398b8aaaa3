// The agent's etcd connection, replaceable without a flap ("make before break"). For a new client
// certificate a second client is built and must first read /peers/ and then register this node
// under a lease of its own while the old one keeps working; only then does it become current and
// are the old watch, lease and client closed. The new put carries the same value, so peers see a
// PUT that changes nothing (PeerWatch ignores it) and the revoke of the old lease, which no longer
// holds the record, deletes nothing. A new client that fails is dropped; the old one carries on.
import type { Etcd3 } from "etcd3";
import { EtcdLink, type ClientFactory } from "./etcd-link.js";
import { errLine, type Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import type { TlsMaterial } from "./tls-files.js";
import { withTimeout } from "./timing.js";

export interface EtcdSwitchDeps {
  newClient: ClientFactory;
  key: string;
  value: string;
  /** more keys on the same lease (Registration's extra) */
  extra?: readonly { key: string; value: string }[];
  ttlSeconds: number;
  log: Logger;
  metrics: AgentMetrics;
  /** The current client's events only; a client being tried reports nothing. */
  onHeld: (held: boolean) => void;
  onSnapshot: (reason: string) => void;
  onChange: () => void;
  /** How long a new client may take to read /peers/, and then to register; default 10 s each. */
  stepTimeoutMs?: number;
  resyncEveryMs?: number;
  /** what the mirror holds (PeerWatch's prefixes) */
  prefixes?: readonly string[];
  /**
   * Watch on a second client of its own. etcd3 closes a client's connection to a member when a
   * call on it fails with UNAVAILABLE or DEADLINE_EXCEEDED (connection-pool.js, resetAllServices),
   * and a loaded etcd answers a late put or lease grant with "etcdserver: request timed out"
   * (UNAVAILABLE): on one client, each such failure also dropped both watch streams, and every
   * agent read the whole prefix again, which loaded etcd further.
   */
  watchOnOwnClient?: boolean;
}

interface Clients {
  client: Etcd3;
  watchClient?: Etcd3;
}

export class EtcdSwitch {
  private current: EtcdLink;
  private switching: Promise<void> | undefined;
  private stopping = false;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(private readonly deps: EtcdSwitchDeps, tls: TlsMaterial | undefined) {
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
    this.current = this.link(this.clients(tls), true);
  }

  /** The /peers/ mirror of the current client. */
  get kvs(): ReadonlyMap<string, string> {
    return this.current.watch.kvs;
  }

  get synced(): boolean {
    return this.current.watch.synced;
  }

  get leaseHeld(): boolean {
    return this.current.registration.isHeld;
  }

  start(): void {
    this.current.start();
  }

  reput(): Promise<void> {
    return this.current.registration.reput();
  }

  /** Moves to a client built from `tls`; rejects (with one line) and keeps the current one if it fails. */
  async switchTo(tls: TlsMaterial): Promise<void> {
    if (this.stopping) throw new Error("the agent is stopping");
    if (this.switching) throw new Error("a switch to a new etcd client is already under way");
    const handover = this.handOver(tls);
    this.switching = handover.catch(() => {});
    try {
      await handover;
    } finally {
      this.switching = undefined;
    }
  }

  /** `keepRecord`: a restart, see Registration.stop. */
  async stop(opts: { keepRecord?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.markStopped();
    await this.switching;
    await this.current.close({ handedOver: false, keepRecord: opts.keepRecord });
  }

  private async handOver(tls: TlsMaterial): Promise<void> {
    const old = this.current;
    let clients: Clients;
    try {
      clients = this.clients(tls);
    } catch (e) {
      throw new Error(`cannot build a client from the new files: ${errLine(e)}`);
    }
    const next = this.link(clients, false);
    try {
      next.watch.start();
      await this.step(next, next.synced, "read /peers/");
      old.registration.pause();
      next.registration.start();
      await this.step(next, next.held, "register this node");
    } catch (e) {
      old.registration.resume();
      // The new lease may have got the record after all (a late answer): move it back before
      // revoking that lease, or the revoke would delete it.
      if (next.registration.isHeld) await old.registration.reput();
      await next.close({ handedOver: true });
      throw e;
    }
    this.current = next;
    // The old watch, until it is closed, reports nothing more.
    old.watch.metrics = undefined;
    next.watch.metrics = this.deps.metrics;
    this.deps.metrics.etcdConnected.set(1);
    this.deps.onHeld(next.registration.isHeld);
    this.deps.onSnapshot("new etcd client");
    await old.close({ handedOver: true });
  }

  private async step(link: EtcdLink, done: Promise<void>, what: string): Promise<void> {
    const ms = this.deps.stepTimeoutMs ?? 10_000;
    try {
      await withTimeout(Promise.race([done, this.stopped]), ms, "timeout");
    } catch {
      throw new Error(`the new client could not ${what} within ${ms / 1000} s${link.lastProblem ? ` (${link.lastProblem})` : ""}`);
    }
    if (this.stopping) throw new Error("the agent is stopping");
  }

  private clients(tls: TlsMaterial | undefined): Clients {
    const client = this.deps.newClient(tls);
    return this.deps.watchOnOwnClient ? { client, watchClient: this.deps.newClient(tls) } : { client };
  }

  private link({ client, watchClient }: Clients, first: boolean): EtcdLink {
    const { log } = this.deps;
    const isCurrent = () => this.current === link;
    const tag = (msg: string) => (isCurrent() ? msg : `new etcd client: ${msg}`);
    const link: EtcdLink = new EtcdLink({
      client,
      ...(watchClient && { watchClient }),
      key: this.deps.key,
      value: this.deps.value,
      ...(this.deps.extra && { extra: this.deps.extra }),
      ttlSeconds: this.deps.ttlSeconds,
      log: { info: (m) => log.info(tag(m)), warn: (m) => log.warn(tag(m)), error: (m) => log.error(tag(m)) },
      // A client on trial must not report etcd down (or up) while the current one works.
      metrics: first ? this.deps.metrics : undefined,
      resyncEveryMs: this.deps.resyncEveryMs,
      ...(this.deps.prefixes && { prefixes: this.deps.prefixes }),
      onHeld: (held) => isCurrent() && this.deps.onHeld(held),
      onSnapshot: (reason) => isCurrent() && this.deps.onSnapshot(reason),
      onChange: () => isCurrent() && this.deps.onChange(),
    });
    return link;
  }
}
