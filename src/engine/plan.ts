// observed state + desired state → the host's plan. Pure: the same inputs give the same plan,
// which is what lets `apply plan.json` check that it runs exactly what was planned.
import { createHash } from "node:crypto";
import { unitFor } from "../resources/index.js";
import type { Action, HostPlan, PlanContext, PlannedHandler } from "./action.js";
import type { DesiredHost, PackageResource, Resource } from "./desired.js";
import type { Observed } from "./observed.js";

const digest = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/** What the observed state says, without the file contents fetched only for diffs (their hash stays). */
export function observedDigest(o: Observed): string {
  const paths = Object.fromEntries(
    Object.entries(o.paths).map(([p, st]) => [p, st.type === "file" ? { ...st, content: undefined } : st]),
  );
  return digest({ ...o, paths });
}

/** All package resources of a host become one apt transaction, at the place of the first. */
function mergePackages(resources: Resource[]): Resource[] {
  const names = [...new Set(resources.flatMap((r) => (r.kind === "package" ? r.names : [])))];
  let first = true;
  return resources.map((r) => {
    if (r.kind !== "package") return r;
    const merged: PackageResource = { ...r, names: first ? names : [] };
    first = false;
    return merged;
  });
}

export function planHost(desired: DesiredHost, observed: Observed, hasSecret: (text: string) => boolean, now: Date = new Date()): HostPlan {
  const actions: Action[] = [];
  let unchanged = 0;
  const notes: string[] = [];
  const ctx: PlanContext = { observed, installsPackages: false, writes: new Set(), hasSecret, now, notes };
  mergePackages(desired.resources).forEach((r, index) => {
    if (r.kind === "package" && r.names.length === 0) return;
    const planned = unitFor(r).plan(r, index, ctx);
    if (planned.length === 0) unchanged++;
    for (const a of planned) {
      const secret = (r.kind === "file" && r.secret) || hasSecret(a.script);
      actions.push({ ...a, resource: index, kind: r.kind, secret });
    }
    if (r.kind === "package" && planned.length > 0) ctx.installsPackages = true;
    if (r.kind === "file" && planned.some((a) => a.change === "create" || a.change === "update")) ctx.writes.add(r.path);
  });

  const notified = new Set(actions.flatMap((a) => a.notify));
  const owed = new Set(observed.pendingHandlers);
  const due = desired.handlers.filter((h) => notified.has(h.name) || owed.has(h.name));
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
      serial: h.serial === true || (typeof h.serial === "string" && observed.serialHandlers[desired.handlers.indexOf(h)] === true),
      ...(h.wait && { wait: h.wait }),
    }));
  const known = new Set(desired.handlers.map((h) => h.name));
  return {
    host: desired.host,
    observedDigest: observedDigest(observed),
    actionsDigest: digest({ actions, handlers }),
    actions,
    handlers,
    unchanged,
    unknownOwed: [...owed].filter((h) => !known.has(h)),
    notes,
  };
}

export const hasChanges = (p: HostPlan): boolean => p.actions.length > 0 || p.handlers.length > 0 || p.unknownOwed.length > 0;
