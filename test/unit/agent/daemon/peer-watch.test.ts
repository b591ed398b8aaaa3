// PeerWatch against a fake etcd3 client: the full read is the sync point, the watch starts at
// its revision + 1, and any watch trouble (error = compaction, disconnected, end) re-reads.
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import type { Etcd3 } from "etcd3";
import { silentLogger } from "../../../../src/agent/daemon/log.js";
import { AgentMetrics } from "../../../../src/agent/daemon/metrics.js";
import { PeerWatch, respreadDelayMs, SPREAD_MAX_MS } from "../../../../src/agent/daemon/peer-watch.js";

class FakeWatcher extends EventEmitter {
  cancelled = false;
  constructor(
    readonly startRevision: string,
    readonly prefix = "",
  ) {
    super();
  }
  async cancel() {
    this.cancelled = true;
  }
}

function fakeClient() {
  const state = {
    kvs: new Map<string, string>(),
    revision: 10,
    down: false,
    reads: 0,
    readRevisions: [] as string[],
    serializable: [] as boolean[],
    watchers: [] as FakeWatcher[],
  };
  const client = {
    getAll: () => ({
      prefix: (p: string) => {
        const range = {
          atRevision: undefined as string | undefined,
          revision: (r: string) => ((range.atRevision = String(r)), range),
          isSerializable: false,
          serializable: (on: boolean) => ((range.isSerializable = on), range),
          exec: async () => {
            state.reads++;
            if (state.down) throw new Error("14 UNAVAILABLE: No connection established");
            state.readRevisions.push(range.atRevision ?? "latest");
            state.serializable.push(range.isSerializable);
            return {
              header: { revision: String(state.revision) },
              kvs: [...state.kvs].filter(([k]) => k.startsWith(p)).map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v) })),
            };
          },
        };
        return range;
      },
    }),
    watch: () => {
      let rev = "";
      let prefix = "";
      const b = {
        prefix: (p: string) => ((prefix = p), b),
        startRevision: (r: string) => ((rev = r), b),
        watcher: () => {
          const w = new FakeWatcher(rev, prefix);
          state.watchers.push(w);
          return w;
        },
      };
      return b;
    },
  };
  return { client: client as unknown as Etcd3, state };
}

const until = async (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 3000, interval: 5 });

describe("PeerWatch", () => {
  it("mirrors several prefixes: read at one revision, each watched from the next", async () => {
    const { client, state } = fakeClient();
    state.kvs.set("/peers/a", "A");
    state.kvs.set("/allocations/a", "AA");
    state.kvs.set("/other/x", "X");
    let changes = 0;
    const w = new PeerWatch({ client, log: silentLogger, prefixes: ["/peers/", "/allocations/"], onSnapshot: () => {}, onChange: () => changes++ });
    w.start();
    await until(() => state.watchers.length === 2);
    expect(state.readRevisions).toEqual(["latest", "10"]);
    expect(state.watchers.map((x) => `${x.prefix}@${x.startRevision}`)).toEqual(["/peers/@11", "/allocations/@11"]);
    expect([...w.kvs].sort()).toEqual([["/allocations/a", "AA"], ["/peers/a", "A"]]);
    state.watchers[1]!.emit("put", { key: Buffer.from("/allocations/b"), value: Buffer.from("BB") });
    expect(w.kvs.get("/allocations/b")).toBe("BB");
    expect(changes).toBe(1);
    // Trouble on either watcher re-reads both prefixes.
    state.watchers[1]!.emit("error", new Error("Watcher canceled: "));
    await until(() => state.watchers.length === 4);
    expect(state.watchers.slice(0, 2).every((x) => x.cancelled)).toBe(true);
    await w.stop();
  });

  it("reads the prefix, then watches from revision + 1 and applies events", async () => {
    const { client, state } = fakeClient();
    state.kvs.set("/peers/a", "A");
    const snapshots: string[] = [];
    let changes = 0;
    const w = new PeerWatch({ client, log: silentLogger, onSnapshot: (r) => snapshots.push(r), onChange: () => changes++ });
    expect(w.synced).toBe(false);
    w.start();
    await until(() => state.watchers.length === 1);
    expect(w.synced).toBe(true);
    expect(snapshots).toEqual(["start"]);
    expect(state.watchers[0]!.startRevision).toBe("11");
    state.watchers[0]!.emit("put", { key: Buffer.from("/peers/b"), value: Buffer.from("B") });
    state.watchers[0]!.emit("delete", { key: Buffer.from("/peers/a"), value: Buffer.from("") });
    expect([...w.kvs]).toEqual([["/peers/b", "B"]]);
    expect(changes).toBe(2);
    // The same value again (a node's record under a new lease) is no change.
    state.watchers[0]!.emit("put", { key: Buffer.from("/peers/b"), value: Buffer.from("B") });
    expect(changes).toBe(2);
    state.watchers[0]!.emit("put", { key: Buffer.from("/peers/b"), value: Buffer.from("B2") });
    expect(changes).toBe(3);
    await w.stop();
  });

  it("re-reads the whole prefix after a watch error (compaction), a disconnect or an end", async () => {
    const { client, state } = fakeClient();
    const metrics = new AgentMetrics(false);
    const snapshots: string[] = [];
    const w = new PeerWatch({ client, log: silentLogger, metrics, onSnapshot: (r) => snapshots.push(r), onChange: () => {} });
    w.start();
    await until(() => state.watchers.length === 1);
    state.revision = 20;
    state.watchers[0]!.emit("error", new Error("Watcher canceled: "));
    await until(() => state.watchers.length === 2);
    expect(state.watchers[0]!.cancelled).toBe(true);
    expect(state.watchers[1]!.startRevision).toBe("21");
    state.watchers[1]!.emit("disconnected", new Error("14 UNAVAILABLE"));
    await until(() => state.watchers.length === 3);
    state.watchers[2]!.emit("end");
    await until(() => state.watchers.length === 4);
    expect(snapshots).toEqual(["start", "watch error", "disconnected", "watch ended"]);
    // Each read is the member's own (no ReadIndex through the leader).
    expect(state.serializable).toEqual([true, true, true, true]);
    expect(await metrics.registry.getSingleMetricAsString("bgpmesh_watch_resyncs_total")).toMatch(/ 3$/m);
    await w.stop();
  });

  it("spreads the re-reads after watch trouble over up to 50 ms per mirrored key, at most 5 s", () => {
    expect(respreadDelayMs(3, () => 1)).toBe(150);
    expect(respreadDelayMs(100, () => 0.5)).toBe(2500);
    expect(respreadDelayMs(100, () => 1)).toBe(SPREAD_MAX_MS);
    expect(respreadDelayMs(1000, () => 1)).toBe(5000);
    expect(respreadDelayMs(100, () => 0)).toBe(0);
  });

  it("waits that spread before re-reading after a disconnect", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { client, state } = fakeClient();
      for (let i = 0; i < 100; i++) state.kvs.set(`/peers/n${i}`, "x");
      const w = new PeerWatch({ client, log: silentLogger, onSnapshot: () => {}, onChange: () => {}, random: () => 0.6 });
      w.start();
      await vi.waitFor(() => expect(state.watchers.length).toBe(1));
      const reads = state.reads;
      state.watchers[0]!.emit("disconnected", new Error("14 UNAVAILABLE"));
      await vi.advanceTimersByTimeAsync(2_990);
      expect(state.reads).toBe(reads);
      await vi.advanceTimersByTimeAsync(20);
      expect(state.reads).toBe(reads + 1);
      await w.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps the last snapshot while etcd is down and resyncs when it is back", async () => {
    const { client, state } = fakeClient();
    state.kvs.set("/peers/a", "A");
    const metrics = new AgentMetrics(false);
    const snapshots: string[] = [];
    const w = new PeerWatch({ client, log: silentLogger, metrics, onSnapshot: (r) => snapshots.push(r), onChange: () => {} });
    w.start();
    await until(() => state.watchers.length === 1);
    state.down = true;
    state.watchers[0]!.emit("disconnected", new Error("14 UNAVAILABLE"));
    await until(() => state.reads >= 2);
    expect([...w.kvs]).toEqual([["/peers/a", "A"]]);
    expect(await metrics.registry.getSingleMetricAsString("bgpmesh_etcd_connected")).toMatch(/ 0$/m);
    state.kvs.set("/peers/b", "B");
    state.down = false;
    await until(() => state.watchers.length === 2); // after the first backoff (~0.5 s)
    expect([...w.kvs].map(([k]) => k)).toEqual(["/peers/a", "/peers/b"]);
    expect(snapshots).toEqual(["start", "etcd error"]);
    await w.stop();
  });

  it("renders nothing before the first successful read", async () => {
    const { client, state } = fakeClient();
    state.down = true;
    const onSnapshot = vi.fn();
    const w = new PeerWatch({ client, log: silentLogger, onSnapshot, onChange: () => {} });
    w.start();
    await until(() => state.reads >= 1);
    expect(w.synced).toBe(false);
    expect(onSnapshot).not.toHaveBeenCalled();
    await w.stop();
  });
});
