// Rolling handlers: a handler that disrupts a service (a restart of tinc, the agent, etcd) runs on
// a bounded number of hosts at once across the run, never on all of them together. Each host takes
// a slot before it runs the handler and frees it only once the handler's health check (`wait:`)
// passed; once it failed on a host, the hosts still waiting do not run it (it stays owed on them,
// for the next apply), so a restart that breaks hosts stops instead of spreading through the mesh.
import pLimit from "p-limit";
import type { RollingSize } from "../model/resource.js";
import { sleep } from "../util/time.js";

/**
 * Without `jitter:`, hosts that roll several at a time wait up to this long before taking a slot,
 * so the first batch does not restart in lockstep (later ones follow the first's staggered ends).
 * One host at a time cannot restart in lockstep, and would only lose the delay on every host.
 */
export const DEFAULT_JITTER_SEC = 2;

/** A `serial:` setting → how many hosts at once in a run of `runHosts` (a share rounds down, to at least one, as Ansible's does). */
export function rollingHosts(size: RollingSize, runHosts: number, cap?: number): number {
  const n = "hosts" in size ? size.hosts : Math.max(1, Math.floor((size.percent * runHosts) / 100));
  return cap === undefined ? n : Math.max(1, Math.min(n, cap));
}

/** A run of one host (a pull, `-l node3`) has no one to stagger against. */
export function rollingJitterMs(hosts: number, jitterSec: number | undefined, runHosts: number): number {
  if (runHosts <= 1) return 0;
  return Math.round((jitterSec ?? (hosts > 1 ? DEFAULT_JITTER_SEC : 0)) * 1000);
}

/** One host's turn at a rolling handler, as its plan says. */
export interface RollingTurn {
  handler: string;
  hosts: number;
  jitterMs: number;
}

/**
 * Runs `fn` (which says whether the host came through) in one of the handler's slots, or not at all
 * when the handler already failed on another host of the run: then the roll has stopped, and the
 * host hears which one.
 */
export type TakeTurn = <T>(turn: RollingTurn, host: string, fn: () => Promise<{ value: T; ok: boolean }>) => Promise<{ value: T } | { stoppedBy: string }>;

/** The run's slots: `fn` runs once fewer than `turn.hosts` hosts are inside it for the same handler. */
export function rollingTurns(random: () => number = Math.random): TakeTurn {
  const slots = new Map<string, ReturnType<typeof pLimit>>();
  const failedOn = new Map<string, string>();
  return async (turn, host, fn) => {
    if (turn.jitterMs > 0) await sleep(random() * turn.jitterMs);
    // Every host of a run computes the same size for a handler; the key keeps them apart if not.
    const key = `${turn.handler}\u0000${turn.hosts}`;
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = pLimit(turn.hosts)));
    return slot(async () => {
      const stoppedBy = failedOn.get(turn.handler);
      if (stoppedBy !== undefined) return { stoppedBy };
      const { value, ok } = await fn();
      if (!ok && !failedOn.has(turn.handler)) failedOn.set(turn.handler, host);
      return { value };
    });
  };
}
