// When to reconcile: `soon()` after a watch event (debounced: 50 ms after the last event, at
// most 1 s after the first of a burst), `now()` after a full read; reconciles never overlap (a
// request during one runs once after it). A burst of many events is a change to the whole mesh
// (allocations republished, every node re-registering after an etcd outage), which every agent
// sees at the same moment: its reconcile waits a random while, up to JITTER_PER_EVENT_MS a
// event and JITTER_MAX_MS in all, so a hundred nodes do not reload tinc and BIRD in lockstep. One
// node joining or leaving stays a few events: no wait. Also timers: retry owed reloads with backoff, and
// reconcile when a departed peer's retained host file expires.
import type { Logger } from "./log.js";
import { errLine } from "./log.js";
import type { Reconciler } from "./reconciler.js";
import { Backoff, Debouncer } from "./timing.js";

/** Bursts of at least this many events wait a random while before their reconcile. */
export const JITTER_MIN_EVENTS = 5;
export const JITTER_PER_EVENT_MS = 20;
export const JITTER_MAX_MS = 3000;

export interface SchedulerDeps {
  reconciler: Pick<Reconciler, "reconcile" | "retryOwed">;
  entries: () => Iterable<readonly [string, string]>;
  log: Logger;
  debounceMs?: number;
  maxWaitMs?: number;
  retry?: Backoff;
  random?: () => number;
}

export class ReconcileScheduler {
  private readonly debouncer: Debouncer;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private jitterTimer: NodeJS.Timeout | undefined;
  private burstEvents = 0;
  private readonly retry: Backoff;
  /** Resolves when the current run (and any queued one) is done; for tests. */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SchedulerDeps) {
    this.debouncer = new Debouncer(() => this.afterBurst(), deps.debounceMs ?? 50, deps.maxWaitMs ?? 1000);
    this.retry = deps.retry ?? new Backoff({ initialMs: 1000, maxMs: 30_000 });
  }

  soon(): void {
    if (this.stopped) return;
    this.burstEvents++;
    this.debouncer.trigger();
  }

  private afterBurst(): void {
    const events = this.burstEvents;
    this.burstEvents = 0;
    // A jittered reconcile is already coming: it reads the mirror then, these events included.
    if (this.jitterTimer) return;
    if (events < JITTER_MIN_EVENTS) return this.now();
    const wait = Math.round((this.deps.random ?? Math.random)() * Math.min(JITTER_MAX_MS, events * JITTER_PER_EVENT_MS));
    if (wait === 0) return this.now();
    this.jitterTimer = setTimeout(() => this.now(), wait);
  }

  now(): void {
    if (this.stopped) return;
    this.debouncer.cancel();
    this.burstEvents = 0;
    if (this.jitterTimer) clearTimeout(this.jitterTimer);
    this.jitterTimer = undefined;
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
    if (this.jitterTimer) clearTimeout(this.jitterTimer);
    await this.running;
  }
}
