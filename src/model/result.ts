// What a run found and did, per host and in all: what the commands render and exit on.
import type { HostPlan } from "./plan.js";

export type HostStatus = "ok" | "changed" | "failed" | "unreachable" | "stale";

export interface HostResult {
  host: string;
  status: HostStatus;
  plan?: HostPlan;
  /** resources found, or brought, as desired */
  ok: number;
  /** steps that ran (a resource may need several, e.g. enable and start) */
  changed: number;
  /** steps that ran, by target and change */
  applied: string[];
  error?: string;
  roundTrips: number;
  seconds: number;
  /** CPU the host spent on the facts and the probe (user + system, its shell and their commands) */
  probeCpuSeconds?: number;
  /** the steps that ran and how long each took on the host (apply), in order */
  stepSeconds?: { step: string; seconds: number }[];
}

export interface RunSummary {
  results: HostResult[];
  seconds: number;
  /** some host has changes (plan) or was changed (apply) */
  changes: boolean;
  /** some host failed, was unreachable or had a stale plan */
  failed: boolean;
}
