import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../../src/agent/daemon/log.js";
import type { ReconcileOutcome } from "../../../../src/agent/daemon/reconciler.js";
import { ReconcileScheduler } from "../../../../src/agent/daemon/scheduler.js";
import { Backoff } from "../../../../src/agent/daemon/timing.js";

function outcome(over: Partial<ReconcileOutcome> = {}): ReconcileOutcome {
  return { ok: true, changed: [], removed: [], owed: { tinc: false, bird: false }, invalid: 0, peers: 1, seconds: 0.001, ...over };
}

describe("ReconcileScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("debounces a burst of events into one reconcile", async () => {
    const reconcile = vi.fn(async () => outcome());
    const s = new ReconcileScheduler({ reconciler: { reconcile, retryOwed: async () => true }, entries: () => [], log: silentLogger, debounceMs: 200, random: () => 0 });
    for (let i = 0; i < 10; i++) s.soon();
    await vi.advanceTimersByTimeAsync(199);
    expect(reconcile).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(reconcile).toHaveBeenCalledTimes(1);
    await s.stop();
  });

  it("spreads the reconcile after a mesh-wide burst over a random wait, and not after a single change", async () => {
    const reconcile = vi.fn(async () => outcome());
    const s = new ReconcileScheduler({ reconciler: { reconcile, retryOwed: async () => true }, entries: () => [], log: silentLogger, random: () => 0.5 });
    s.soon(); // one peer joined: no wait beyond the debounce
    await vi.advanceTimersByTimeAsync(50);
    expect(reconcile).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i++) s.soon(); // 100 allocations republished: up to 2 s, here half of it
    await vi.advanceTimersByTimeAsync(50 + 999);
    expect(reconcile).toHaveBeenCalledTimes(1);
    s.soon(); // one more event while the wait runs: the same reconcile takes it
    await vi.advanceTimersByTimeAsync(1);
    expect(reconcile).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(reconcile).toHaveBeenCalledTimes(2);
    await s.stop();
  });

  it("never overlaps reconciles: requests during one make exactly one more", async () => {
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const reconcile = vi.fn(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
      return outcome();
    });
    const s = new ReconcileScheduler({ reconciler: { reconcile, retryOwed: async () => true }, entries: () => [], log: silentLogger });
    s.now();
    s.now();
    s.now();
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await vi.advanceTimersByTimeAsync(0);
    await s.idle;
    expect(reconcile).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
    await s.stop();
  });

  it("retries owed reloads with backoff until they pass", async () => {
    const reconcile = vi.fn(async () => outcome({ ok: false, owed: { tinc: false, bird: true } }));
    const results = [false, false, true];
    const retryOwed = vi.fn(async () => results.shift() ?? true);
    const s = new ReconcileScheduler({
      reconciler: { reconcile, retryOwed },
      entries: () => [],
      log: silentLogger,
      retry: new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
    });
    s.now();
    await vi.advanceTimersByTimeAsync(1000);
    expect(retryOwed).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(retryOwed).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4000);
    expect(retryOwed).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(retryOwed).toHaveBeenCalledTimes(3);
    expect(reconcile).toHaveBeenCalledTimes(1);
    await s.stop();
  });

  it("reconciles again when a retained host file expires", async () => {
    const reconcile = vi.fn(async () => outcome({ nextExpiryAtMs: reconcile.mock.calls.length === 1 ? Date.now() + 5000 : undefined }));
    const s = new ReconcileScheduler({ reconciler: { reconcile, retryOwed: async () => true }, entries: () => [], log: silentLogger });
    s.now();
    await vi.advanceTimersByTimeAsync(5100);
    expect(reconcile).toHaveBeenCalledTimes(2);
    await s.stop();
  });
});
