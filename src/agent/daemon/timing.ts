// Small timing helpers of the agent daemon: exponential backoff with jitter (etcd unreachable,
// reloads owed) and a debouncer (a burst of watch events makes one reconcile). Timers only, no I/O.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Multiplier per failure; default 2. */
  factor?: number;
  /** Fraction of the delay drawn at random (0..1), so agents do not retry in lockstep; default 0.2. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before the next retry; each call counts a failure. */
  next(): number {
    const { initialMs, maxMs, factor = 2, jitter = 0.2, random = Math.random } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 64);
    const spread = base * jitter;
    const d = base - spread + random() * spread * 2;
    return Math.round(Math.min(maxMs, Math.max(0, d)));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

/**
 * Calls `fn` `delayMs` after the last trigger, but no later than `maxWaitMs` after the first
 * trigger of a burst (a steady stream of events still reconciles).
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAt: number | undefined;

  constructor(
    private readonly fn: () => void,
    private readonly delayMs: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  trigger(): void {
    const t = this.now();
    if (this.firstAt === undefined) this.firstAt = t;
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxWaitMs - t));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), wait);
  }

  /** Runs now if something is pending. */
  flush(): void {
    if (this.timer) this.fire();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  private fire(): void {
    this.cancel();
    this.fn();
  }
}

/** A stop flag whose sleeps end early when it is set (SIGTERM must not wait out a backoff). */
export class Stopper {
  stopped = false;
  private readonly wakers = new Set<() => void>();

  stop(): void {
    this.stopped = true;
    for (const w of this.wakers) w();
    this.wakers.clear();
  }

  /** Resolves after `ms`, or at once when stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}

/** Rejects with `message` after `ms` unless `p` settles first. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
