import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Backoff, Debouncer, Stopper, withTimeout } from "../../../../src/agent/daemon/timing.js";

describe("Backoff", () => {
  it("doubles from the initial delay up to the cap, and reset starts over", () => {
    const b = new Backoff({ initialMs: 500, maxMs: 5000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it("spreads each delay by the jitter, never above the cap", () => {
    const lo = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0 });
    const hi = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0.999 });
    expect(lo.next()).toBe(800);
    expect(hi.next()).toBe(1000);
  });
});

describe("Debouncer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fires once, delay after the last trigger of a burst", () => {
    const fn = vi.fn();
    const d = new Debouncer(fn, 200, 1000, () => Date.now());
    d.trigger();
    vi.advanceTimersByTime(150);
    d.trigger();
    vi.advanceTimersByTime(150);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("fires no later than maxWait after the first trigger of a steady stream", () => {
    const fn = vi.fn();
    const d = new Debouncer(fn, 200, 1000, () => Date.now());
    for (let t = 0; t < 1000; t += 100) {
      d.trigger();
      vi.advanceTimersByTime(100);
    }
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("cancel drops a pending call; flush runs it now", () => {
    const fn = vi.fn();
    const d = new Debouncer(fn, 200, 1000, () => Date.now());
    d.trigger();
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    d.trigger();
    d.flush();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(d.pending).toBe(false);
  });
});

describe("Stopper and withTimeout", () => {
  it("stop ends a sleep at once", async () => {
    const s = new Stopper();
    const t0 = Date.now();
    const p = s.sleep(10_000);
    s.stop();
    await p;
    expect(Date.now() - t0).toBeLessThan(1000);
    await s.sleep(10_000); // already stopped: no wait
  });

  it("withTimeout rejects a promise that never settles", async () => {
    await expect(withTimeout(new Promise(() => {}), 10, "too slow")).rejects.toThrow("too slow");
    await expect(withTimeout(Promise.resolve(3), 1000, "x")).resolves.toBe(3);
  });
});
