// Saved plans (`plan --out plan.json`, then `apply plan.json`). A saved plan is plain JSON for
// people and tools to read, without secrets: a secret file's content or a command holding a
// secret is replaced by the marker. Applying it re-derives the plan from the same inputs and a
// fresh probe and runs it only when both digests match what was saved.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { REDACTED } from "../inventory/index.js";
import type { HostPlan } from "../model/plan.js";

export const PLAN_FORMAT = "bgpmesh-plan/1";

export interface PlanInputs {
  inventory: string;
  site: string;
  limit?: string;
  /** --serial: part of the plan, since it sets its rolling handlers' sizes */
  serial?: number;
  extraVars: string[];
}

const PlanFileSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  created: z.string(),
  inventory: z.string(),
  site: z.string(),
  limit: z.string().optional(),
  serial: z.number().int().positive().optional(),
  extraVarsDigest: z.string(),
  hosts: z.record(z.string(), z.object({ observedDigest: z.string(), actionsDigest: z.string() }).passthrough()),
});
export type PlanFile = z.infer<typeof PlanFileSchema>;

export const extraVarsDigest = (args: string[]): string => createHash("sha256").update(JSON.stringify(args)).digest("hex");

/** The plan as it may be shown or saved: scripts and handlers holding secrets are masked. */
export function publicPlan(plan: HostPlan): HostPlan {
  return {
    ...plan,
    actions: plan.actions.map((a) => ({ ...a, script: a.secret ? REDACTED : a.script })),
    handlers: plan.handlers.map((h) => ({ ...h, run: h.secret ? REDACTED : h.run })),
  };
}

export function writePlanFile(path: string, inputs: PlanInputs, plans: HostPlan[], redact: (t: string) => string): void {
  const file = {
    format: PLAN_FORMAT,
    created: new Date().toISOString(),
    inventory: resolve(inputs.inventory),
    site: resolve(inputs.site),
    limit: inputs.limit,
    serial: inputs.serial,
    extraVarsDigest: extraVarsDigest(inputs.extraVars),
    hosts: Object.fromEntries(plans.map((p) => [p.host, publicPlan(p)])),
  };
  // Belt and braces: whatever slipped past the masking above is scrubbed by value.
  writeFileSync(path, redact(JSON.stringify(file, null, 2)) + "\n", { mode: 0o600 });
}

export function readPlanFile(path: string): PlanFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not a readable plan file (${(e as Error).message})`);
  }
  const parsed = PlanFileSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${path}: not a ${PLAN_FORMAT} plan file (${parsed.error.issues[0]?.message ?? "invalid"})`);
  return parsed.data;
}
