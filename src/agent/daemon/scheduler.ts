// When to reconcile: `soon()` after a watch event (debounced: 50 ms after the last event, at
// most 1 s after the first of a burst), `now()` after a full read; reconciles never overlap (a
// request during one runs once after it). Also timers: retry owed reloads with backoff, and
// reconcile when a departed peer's retained host file expires.
import type { Logger } from "./log.js";
import { errLine } from "./log.js";
import type { Reconciler } from "./reconciler.js";
import { Backoff, Debouncer } from "./timing.js";

export interface SchedulerDeps {
  reconciler: Pick<Reconciler, "reconcile" | "retryOwed">;
  entries: () => Iterable<readonly [string, string]>;
  log: Logger;
  debounceMs?: number;
  maxWaitMs?: number;
  retry?: Backoff;
}

export class ReconcileScheduler {
  private readonly debouncer: Debouncer;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly retry: Backoff;
  /** Resolves when the current run (and any queued one) is done; for tests. */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SchedulerDeps) {
    this.debouncer = new Debouncer(() => this.now(), deps.debounceMs ?? 50, deps.maxWaitMs ?? 1000);
    this.retry = deps.retry ?? new Backoff({ initialMs: 1000, maxMs: 30_000 });
  }

  soon(): void {
    if (!this.stopped) this.debouncer.trigger();
  }

  now(): void {
    if (this.stopped) return;
    this.debouncer.cancel();
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
    this.idle = this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.stopped);
    } finally {
      this.running = undefined;
    }
  }

  private async once(): Promise<void> {
    const { reconciler, log } = this.deps;
    try {
      const out = await reconciler.reconcile(this.deps.entries());
      this.afterwards(out.owed.tinc || out.owed.bird, out.nextExpiryAtMs);
      if (out.changed.length + out.removed.length > 0 || !out.ok) {
        log.info(`reconcile ${out.ok ? "ok" : "incomplete"}: ${out.peers} peer(s), ${out.invalid} invalid, ${out.changed.length} written, ${out.removed.length} removed, ${(out.seconds * 1000).toFixed(1)} ms`);
      }
    } catch (e) {
      log.error(`reconcile failed: ${errLine(e)}`);
      this.afterwards(true, undefined);
    }
  }

  private afterwards(owed: boolean, expiryAtMs: number | undefined): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (owed && !this.stopped) {
      const wait = this.retry.next();
      this.retryTimer = setTimeout(() => this.retryOwed(), wait);
    } else this.retry.reset();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (expiryAtMs !== undefined && !this.stopped) {
      this.expiryTimer = setTimeout(() => this.now(), Math.max(0, expiryAtMs - Date.now()) + 50);
    }
  }

  private retryOwed(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        const done = await this.deps.reconciler.retryOwed();
        if (done) this.retry.reset();
        else if (!this.stopped) this.retryTimer = setTimeout(() => this.retryOwed(), this.retry.next());
      } finally {
        this.running = undefined;
      }
    })();
    this.idle = this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debouncer.cancel();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await this.running;
  }
}
