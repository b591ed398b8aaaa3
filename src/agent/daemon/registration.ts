// This node's record in etcd: /peers/<name> = its JSON record, attached to a lease of
// config.leaseTtlSeconds that etcd3 keeps alive. A lost lease is dead (etcd3 closes it for good):
// grant a new one and put the record again, with backoff while etcd is unreachable. On a real stop
// the lease is revoked, so etcd deletes the record at once and the other nodes drop this one; on a
// restart it is only let go (stop-kind.ts): the record outlives it until the next agent puts it
// under a new lease, and a record moved to another lease is not deleted when the old one expires.
// While a new etcd client takes over (etcd-switch.ts) the old registration is paused: it must not
// grant a lease and put the record again after the new client put it, or revoking that lease would
// delete the record.
import type { Etcd3, Lease } from "etcd3";
import { errLine, type Logger } from "./log.js";
import { Backoff, Stopper, withTimeout } from "./timing.js";

export interface RegistrationDeps {
  client: Etcd3;
  key: string;
  value: string;
  /**
   * More keys on the same lease, put after the record (this node's IPv6 record). Best effort: one
   * that cannot be put (etcd refusing it before the controller granted the right, in the apply
   * that turns IPv6 on) is logged and put again by reput(); the record and its lease stay.
   */
  extra?: readonly { key: string; value: string }[];
  ttlSeconds: number;
  log: Logger;
  onHeld: (held: boolean) => void;
}

export class Registration {
  private lease: Lease | undefined;
  private held = false;
  private readonly stopper = new Stopper();
  private wakeLost: (() => void) | undefined;
  // Up to 15 s, half of it random: a hundred agents retrying against a loaded etcd every 5 s kept it
  // overloaded (each timed-out request is still served), and in step they would hit it together.
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 15_000, jitter: 0.5 });
  private loop: Promise<void> | undefined;
  private paused: { until: Promise<void>; resume: () => void } | undefined;

  constructor(private readonly deps: RegistrationDeps) {}

  get isHeld(): boolean {
    return this.held;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Grants no new lease (the current one is kept alive) until resume() or stop(). */
  pause(): void {
    if (this.paused) return;
    let resume!: () => void;
    const until = new Promise<void>((r) => (resume = r));
    this.paused = { until, resume };
  }

  resume(): void {
    this.paused?.resume();
    this.paused = undefined;
  }

  /** Puts the record again under the current lease (someone deleted or changed it). */
  async reput(): Promise<void> {
    const lease = this.lease;
    if (!lease || !this.held) return;
    try {
      await withTimeout(lease.put(this.deps.key).value(this.deps.value).exec(), 5000, "put timed out");
      this.deps.log.info(`record ${this.deps.key} put again`);
    } catch (e) {
      this.deps.log.warn(`cannot put ${this.deps.key} again: ${errLine(e)}`);
    }
    await this.putExtra(lease, 5000);
  }

  /** The extra keys on `lease`, each on its own: a failure is logged, never thrown. */
  private async putExtra(lease: Lease, timeoutMs: number): Promise<void> {
    for (const r of this.deps.extra ?? []) {
      try {
        await withTimeout(lease.put(r.key).value(r.value).exec(), timeoutMs, "put timed out");
      } catch (e) {
        this.deps.log.warn(`cannot put ${r.key}: ${errLine(e)}; trying again when the record is checked`);
      }
    }
  }

  private setHeld(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    this.deps.onHeld(held);
  }

  private async run(): Promise<void> {
    const { client, key, ttlSeconds, log } = this.deps;
    while (!this.stopper.stopped) {
      if (this.paused) await this.paused.until;
      if (this.stopper.stopped) break;
      const lease = client.lease(ttlSeconds, { autoKeepAlive: true });
      this.lease = lease;
      const lost = new Promise<void>((resolve) => {
        this.wakeLost = resolve;
        lease.on("lost", (err) => {
          if (!this.stopper.stopped) log.warn(`lease lost: ${errLine(err)}`);
          resolve();
        });
      });
      try {
        const id = await withTimeout(lease.grant(), 10_000, "lease grant timed out");
        await withTimeout(lease.put(key).value(this.deps.value).exec(), 10_000, "put timed out");
        await this.putExtra(lease, 10_000);
        this.backoff.reset();
        this.setHeld(true);
        log.info(`registered ${key} with lease ${id} (ttl ${ttlSeconds}s)`);
        await lost;
        this.setHeld(false);
      } catch (e) {
        this.setHeld(false);
        lease.removeAllListeners("lost");
        lease.on("lost", () => {});
        try {
          lease.release();
        } catch {
          /* already closed */
        }
        if (this.stopper.stopped) break;
        const wait = this.backoff.next();
        log.warn(`cannot register ${key}: ${errLine(e)}; retrying in ${wait} ms`);
        await this.stopper.sleep(wait);
      }
    }
  }

  /**
   * Revokes the lease (etcd deletes the record now, not after the TTL). `handedOver`: another
   * lease holds the record now, so the revoke deletes nothing; it only frees the lease.
   * `keepRecord`: a restart; the lease is let go unrevoked and expires after its TTL, by when the
   * next agent has put the record under its own lease.
   */
  async stop(opts: { handedOver?: boolean; keepRecord?: boolean } = {}): Promise<void> {
    const wasHeld = this.held;
    const lease = this.lease;
    this.stopper.stop();
    this.resume();
    this.wakeLost?.();
    if (lease && wasHeld && opts.keepRecord && !opts.handedOver) {
      try {
        lease.release();
      } catch {
        /* already closed */
      }
      this.deps.log.info(`lease kept for the next agent: ${this.deps.key} stays (etcd drops it ${this.deps.ttlSeconds} s after the last keepalive if no agent puts it again)`);
    } else if (lease && wasHeld) {
      try {
        await withTimeout(lease.revoke(), 3000, "revoke timed out");
        this.deps.log.info(opts.handedOver ? "lease revoked (the record is under another lease now)" : `lease revoked, ${this.deps.key} deleted`);
      } catch (e) {
        this.deps.log.warn(`cannot revoke the lease: ${errLine(e)}`);
      }
    } else {
      try {
        lease?.release();
      } catch {
        /* already closed */
      }
    }
    this.setHeld(false);
    await this.loop;
  }
}
