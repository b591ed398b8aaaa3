// The /peers/ prefix, mirrored in memory. Read the whole prefix (the sync point: nothing is
// rendered before the first successful read), then watch from the read's revision + 1 and apply
// each put/delete to the mirror. After any watch trouble (disconnected — etcd3 would resume from
// its own idea of the revision, which can skip events —, canceled by a compaction, which etcd3
// reports as 'error', or 'end'), and every `resyncEveryMs` anyway, the watcher is dropped and the
// prefix read again. While etcd is unreachable the mirror keeps the last good snapshot and the
// read is retried with backoff. A put whose value is the one already mirrored (a node moving its
// record to a new lease after a certificate rotation or an agent restart) is no change: nothing is
// reconciled.
// The periodic read is a safety net, not the way changes arrive: every RESYNC_EVERY_MS, give or
// take a fifth at random. It was every 60 s: on a 3-node lab each re-read (range read, new watches,
// a full reconcile) cost the agent 25-45 ms of CPU, a third of its idle use; with a hundred agents
// it was also a range read of every record each 0.6 s on the etcd cluster, the agents in step after
// a mesh-wide restart.
import type { Etcd3, Watcher } from "etcd3";
import { PEERS_PREFIX } from "../record.js";
import { errLine, type Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import { Backoff, Stopper, withTimeout } from "./timing.js";

export const RESYNC_EVERY_MS = 300_000;

/** Per key already mirrored, the longest random wait before re-reading after watch trouble. */
export const SPREAD_PER_KEY_MS = 50;
export const SPREAD_MAX_MS = 5_000;

/**
 * A random wait before the re-read that follows watch trouble: up to 50 ms per key mirrored (5 s
 * at 100 nodes, 150 ms at 3). A member that goes away, or an election, ends every agent's watch at
 * the same moment; at 100 nodes their re-reads at once (100 ranges of ~65 kB) kept an already
 * loaded etcd from recovering: its heartbeats came late, the next election ended the watches again.
 */
export function respreadDelayMs(keys: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(SPREAD_MAX_MS, keys * SPREAD_PER_KEY_MS));
}

/** RESYNC_EVERY_MS ± 20% (or the test's own period, as it is). */
export function resyncDelayMs(everyMs: number | undefined, random: () => number = Math.random): number {
  if (everyMs !== undefined) return everyMs;
  return Math.round(RESYNC_EVERY_MS * (0.8 + 0.4 * random()));
}

export interface PeerWatchDeps {
  client: Etcd3;
  log: Logger;
  metrics?: AgentMetrics;
  /** The mirror was replaced by a full read (reason: "start", "disconnected", "periodic", …). */
  onSnapshot: (reason: string) => void;
  /** A watch event changed the mirror (a put of the value already there does not). */
  onChange: () => void;
  resyncEveryMs?: number;
  readTimeoutMs?: number;
  /** the prefixes mirrored, read at one revision and watched from the next; default /peers/ alone */
  prefixes?: readonly string[];
  /** for the spread after watch trouble; Math.random unless a test sets it */
  random?: () => number;
}

export class PeerWatch {
  /** key → value of every entry under the prefixes, as of the last read plus the events since. */
  readonly kvs = new Map<string, string>();
  /** True once a full read succeeded. */
  synced = false;
  revision = "0";
  /** Where etcdConnected and watchResyncs go; undefined while this watch is a candidate (etcd-switch.ts). */
  metrics: AgentMetrics | undefined;
  private readonly stopper = new Stopper();
  private restart: ((reason: string) => void) | undefined;
  // Up to 15 s, half of it random: a hundred agents retrying against a loaded etcd every 5 s kept it
  // overloaded (each timed-out request is still served), and in step they would hit it together.
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 15_000, jitter: 0.5 });
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: PeerWatchDeps) {
    this.metrics = deps.metrics;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Drops the watcher and reads the whole prefix again. */
  resync(reason: string): void {
    this.restart?.(reason);
  }

  async stop(): Promise<void> {
    this.stopper.stop();
    this.restart?.("stop");
    await this.loop;
  }

  private get prefixes(): readonly string[] {
    return this.deps.prefixes?.length ? this.deps.prefixes : [PEERS_PREFIX];
  }

  /** Applies a watcher's events to the mirror; any trouble restarts the read. */
  private follow(w: Watcher): void {
    const { log } = this.deps;
    w.on("connected", () => this.metrics?.etcdConnected.set(1));
    w.on("put", (kv) => {
      const key = kv.key.toString();
      const value = kv.value.toString();
      if (this.kvs.get(key) === value) return;
      this.kvs.set(key, value);
      this.deps.onChange();
    });
    w.on("delete", (kv) => {
      this.kvs.delete(kv.key.toString());
      this.deps.onChange();
    });
    w.on("data", (r) => {
      if (r.header?.revision) this.revision = String(r.header.revision);
    });
    w.on("disconnected", (e) => {
      this.metrics?.etcdConnected.set(0);
      log.warn(`watch disconnected: ${errLine(e)}`);
      this.restart?.("disconnected");
    });
    w.on("error", (e) => {
      // etcd3 reports a compaction as "Watcher canceled: " with an empty reason.
      log.warn(`watch error: ${errLine(e)}`);
      this.restart?.("watch error");
    });
    w.on("end", () => this.restart?.("watch ended"));
  }

  private async run(): Promise<void> {
    const { client, log } = this.deps;
    let reason = "start";
    while (!this.stopper.stopped) {
      // After watch trouble every agent would re-read at once; a periodic or asked-for re-read is
      // not in step with the others'. The old watchers are gone by now (finally, below).
      if (TROUBLE.has(reason)) await this.stopper.sleep(respreadDelayMs(this.kvs.size, this.deps.random));
      if (this.stopper.stopped) break;
      const watchers: Watcher[] = [];
      try {
        const [firstPrefix, ...more] = this.prefixes;
        const timeout = this.deps.readTimeoutMs ?? 10_000;
        // Serializable: the member the client talks to answers from its own copy, without asking
        // the leader (a linearizable read waits for the leader's ReadIndex: during an election
        // it cannot be served, under load it queues behind the leader's work). The watch that
        // follows is that member's too, from the next revision: the mirror misses nothing, and it
        // is never older than what the member's watch would deliver anyway.
        const res = await withTimeout(client.getAll().prefix(firstPrefix!).serializable(true).exec(), timeout, "range read timed out");
        // The other prefixes at the same revision: one consistent snapshot of all of them.
        const others = [];
        for (const p of more) {
          others.push(await withTimeout(client.getAll().prefix(p).revision(res.header.revision).serializable(true).exec(), timeout, "range read timed out"));
        }
        if (this.stopper.stopped) break;
        this.kvs.clear();
        for (const kv of [res, ...others].flatMap((r) => r.kvs)) this.kvs.set(kv.key.toString(), kv.value.toString());
        const first = !this.synced;
        this.synced = true;
        this.revision = String(res.header.revision);
        this.metrics?.etcdConnected.set(1);
        this.backoff.reset();
        if (!first) this.metrics?.watchResyncs.inc();
        if (first || reason !== "periodic") log.info(`read ${this.kvs.size} key(s) under ${this.prefixes.join(" and ")} at revision ${this.revision} (${reason})`);
        this.deps.onSnapshot(reason);

        const restarted = new Promise<string>((resolve) => (this.restart = resolve));
        const timer = setTimeout(() => this.restart?.("periodic"), resyncDelayMs(this.deps.resyncEveryMs));
        for (const prefix of this.prefixes) {
          const w = client.watch().prefix(prefix).startRevision((BigInt(this.revision) + 1n).toString()).watcher();
          watchers.push(w);
          this.follow(w);
        }
        reason = await restarted;
        clearTimeout(timer);
      } catch (e) {
        this.metrics?.etcdConnected.set(0);
        if (this.stopper.stopped) break;
        const wait = this.backoff.next();
        log.warn(`cannot read ${this.prefixes.join(" and ")} from etcd: ${errLine(e)}; keeping the last snapshot, retrying in ${wait} ms`);
        await this.stopper.sleep(wait);
        reason = "etcd error";
      } finally {
        this.restart = undefined;
        for (const w of watchers) dropWatcher(w);
      }
    }
  }
}

/** The reasons of restart that end every agent's watch together. */
const TROUBLE = new Set(["disconnected", "watch error", "watch ended"]);

function dropWatcher(w: Watcher): void {
  w.removeAllListeners();
  w.on("error", () => {});
  // Cancelling a watcher whose stream is down can wait for a reconnect: don't wait for it.
  withTimeout(w.cancel(), 5000, "cancel timed out").catch(() => {});
}
