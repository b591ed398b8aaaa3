// observed state + desired state → the host's plan. Pure: the same inputs give the same plan,
// which is what lets `apply plan.json` check that it runs exactly what was planned. Each resource's
// kind reads its own probe lines and plans its own steps; this file only strings them together.
import { createHash } from "node:crypto";
import type { Observed } from "../model/observed.js";
import type { Action, HostPlan, PlannedHandler } from "../model/plan.js";
import type { DesiredHost, Handler, HandlerRolling } from "../model/resource.js";
import type { PlanContext } from "../resources/kind.js";
import { UNIT_DIRS, unitName } from "../resources/service.js";
import { prepare } from "./prepare.js";
import { rollingHosts, rollingJitterMs } from "./rolling.js";

export { hasChanges } from "../model/plan.js";

const digest = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/** What a plan needs of the run as a whole: its size (a rolling handler's share of hosts) and `--serial`. */
export interface RunShape {
  hosts: number;
  serialCap?: number;
}

export function planHost(
  desired: DesiredHost,
  observed: Observed,
  hasSecret: (text: string) => boolean,
  now: Date = new Date(),
  run: RunShape = { hosts: 1 },
): HostPlan {
  const actions: Action[] = [];
  let unchanged = 0;
  const notes: string[] = [];
  const writes = new Set<string>();
  const sinceReload = { installs: false, unitFiles: false };
  const prepared = prepare(desired);
  const startsItself = new Set(prepared.flatMap(({ resource, kind }) => kind.starts?.(resource) ?? []));
  const ctx: PlanContext = { systemd: observed.systemd, earlier: { installs: false, writes, sinceReload }, startsItself, hasSecret, now, notes };
  // What the plan was made from: a saved plan is stale when this moves (a diff's old text aside).
  const seen: Record<number, unknown> = {};
  for (const { index, resource, kind } of prepared) {
    const facts = kind.read(observed.lines[index] ?? []);
    seen[index] = kind.stable ? kind.stable(facts) : facts;
    const steps = kind.plan(resource, facts, ctx);
    if (steps.length === 0) unchanged++;
    for (const s of steps) actions.push({ ...s, resource: index, kind: resource.kind, secret: resource.secret === true || hasSecret(s.script) });
    const effects = kind.effects?.(resource, steps);
    if (effects?.installs) ctx.earlier.installs = sinceReload.installs = true;
    for (const p of effects?.writes ?? []) {
      writes.add(p);
      if (UNIT_DIRS.some((d) => p.startsWith(`${d}/`))) sinceReload.unitFiles = true;
    }
    if (effects?.reloadsSystemd) sinceReload.installs = sinceReload.unitFiles = false;
  }

  const notified = new Set(actions.flatMap((a) => a.notify));
  const owed = new Set(observed.pendingHandlers);
  const startedFresh = freshStarts(actions);
  const reloaded = reloadedAfter(actions);
  const due = desired.handlers.filter((h) => (notified.has(h.name) || owed.has(h.name)) && !startedFresh(h) && !reloaded(h));
  // A restart covers a reload of the same unit, and a reload right after a restart can reach the
  // daemon before it handles SIGHUP (Prometheus then exits, and systemd counts that as clean).
  const restarted = new Set(due.flatMap((h) => /^systemctl restart (\S+)$/.exec(h.run)?.[1] ?? []));
  const handlers: PlannedHandler[] = due
    .filter((h) => !restarted.has(/^systemctl reload (\S+)$/.exec(h.run)?.[1] ?? ""))
    .map((h) => ({
      name: h.name,
      run: h.run,
      owed: owed.has(h.name),
      notified: notified.has(h.name),
      secret: hasSecret(h.run),
      ...(rolls(h, observed.serialHandlers[desired.handlers.indexOf(h)]) && { rolling: rollingOf(h.rolling!, run) }),
      ...(h.wait && { wait: h.wait }),
    }));
  const known = new Set(desired.handlers.map((h) => h.name));
  const { lines: _lines, ...host } = observed;
  return {
    host: desired.host,
    observedDigest: digest({ ...host, seen }),
    actionsDigest: digest({ actions, handlers }),
    actions,
    handlers,
    unchanged,
    unknownOwed: [...owed].filter((h) => !known.has(h)),
    notes,
  };
}

/**
 * A restart or reload handler this run need not run: the run starts the unit for the first time
 * (a first apply: Action.firstStart), and every change that notifies the handler comes before that
 * start, so the daemon reads them as it starts. Restarting it again only cost time and, for the
 * agent and tinc, cut what the new node was just setting up (the agent had registered, the other
 * nodes were dialling its tinc); a reload right after a start can reach a daemon before it handles
 * SIGHUP (see above). A handler owed by an earlier run is covered the same way: that run's changes
 * are all on disk before this start.
 */
function freshStarts(actions: readonly Action[]): (h: Handler) => boolean {
  const startAt = new Map<string, number>();
  actions.forEach((a, i) => {
    if (a.firstStart) startAt.set(a.target.replace(/^service /, ""), i);
  });
  return (h) => {
    const unit = /^systemctl (?:restart|reload) (\S+)$/.exec(h.run)?.[1];
    const at = unit === undefined ? undefined : startAt.get(unitName(unit));
    if (at === undefined) return false;
    return actions.every((a, i) => i < at || !a.notify.includes(h.name));
  };
}

/**
 * A `systemctl daemon-reload` handler this run need not run: a step of the run reloads systemd after
 * every change that notifies the handler (a first apply does, before it enables or starts a unit
 * whose files it wrote), and after whatever an earlier run left owed. Each reload cost a lab host
 * 0.3 s idle and 1.5 s in a first apply.
 */
function reloadedAfter(actions: readonly Action[]): (h: Handler) => boolean {
  const last = actions.findLastIndex((a) => a.script.startsWith("systemctl daemon-reload"));
  return (h) => last >= 0 && h.run.trim() === "systemctl daemon-reload" && actions.every((a, i) => i < last || !a.notify.includes(h.name));
}

/** A rolling handler rolls unless its `serial_if` test failed on the host at probe time. */
const rolls = (h: Handler, testPassed: boolean | undefined): boolean => h.rolling !== undefined && (h.rolling.if === undefined || testPassed === true);

function rollingOf(r: HandlerRolling, run: RunShape): NonNullable<PlannedHandler["rolling"]> {
  const hosts = rollingHosts(r.size, run.hosts, run.serialCap);
  return { hosts, jitterMs: rollingJitterMs(hosts, r.jitterSec, run.hosts) };
}
