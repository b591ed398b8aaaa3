// Is this SIGTERM a restart or a real stop? A restart (`systemctl restart`, the provisioner's
// `restart agent` handler, a new bundle) must not withdraw the node: the next agent puts the same
// record under a new lease within a second or two, while the old lease still has most of its TTL.
// Revoking it would delete the record, and every peer would drop this node's BGP session and add
// it back (a flap of about 2 s across the mesh). A real stop (`systemctl stop`, poweroff, reboot,
// the unit removed) revokes, so the peers drop the node at once.
// systemd tells them apart only through the job it is running on the unit: during the stop half of
// a restart, `systemctl list-jobs` lists the unit's job as `restart`; for a stop, poweroff or
// reboot it is `stop`. Anything unclear (not under systemd, systemctl failing) counts as a stop:
// that is what the agent always did.
import { readFileSync } from "node:fs";
import type { Runner } from "./exec.js";

export type StopKind = "restart" | "stop";

/** The systemd unit this process runs in, from /proc/self/cgroup ("…/bgpmesh-agent.service"). */
export function ownUnit(cgroupText: string): string | undefined {
  for (const line of cgroupText.split("\n")) {
    const path = line.split(":").slice(2).join(":");
    const unit = path.split("/").reverse().find((part) => part.endsWith(".service"));
    if (unit) return unit;
  }
  return undefined;
}

/**
 * From `systemctl list-jobs --no-legend --plain` ("ID UNIT TYPE STATE" per line): the unit's job
 * type is one of systemd's restarting ones (`restart`, `try-restart`, `reload-or-restart`).
 */
export function stopKindFromJobs(jobsText: string, unit: string): StopKind {
  for (const line of jobsText.split("\n")) {
    const [, name, type] = line.trim().split(/\s+/);
    if (name === unit && type !== undefined && /restart/.test(type)) return "restart";
  }
  return "stop";
}

export async function stopKind(run: Runner, readCgroup: () => string = () => readFileSync("/proc/self/cgroup", "utf8")): Promise<{ kind: StopKind; why: string }> {
  let unit: string | undefined;
  try {
    unit = ownUnit(readCgroup());
  } catch {
    unit = undefined;
  }
  if (!unit) return { kind: "stop", why: "not running as a systemd service" };
  const r = await run(["systemctl", "list-jobs", "--no-legend", "--plain", unit], 2000);
  if (!r.ok) return { kind: "stop", why: `systemctl list-jobs failed (${r.error ?? "no reason"})` };
  const kind = stopKindFromJobs(r.stdout, unit);
  return { kind, why: kind === "restart" ? `systemd is restarting ${unit}` : `systemd is stopping ${unit}` };
}
