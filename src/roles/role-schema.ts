// The shapes of a role file's parts but its resources (each form's schema is in its kind's module,
// src/resources/). Only types and fixed formats are checked here; what needs the rest of the role
// (handler names) or a host (rendered paths) is checked in role-file.ts and expand.ts.
import { z } from "zod";
import { describeValue } from "../inventory/index.js";
import { tags } from "../resources/schema-parts.js";

const text = z.string();
const jitterRange = (issue: { input?: unknown }) => `expected 0 to 60 seconds, got ${describeValue(issue.input)}`;

export const handlerSchema = z.strictObject({
  service: text.optional(),
  action: z.enum(["restart", "reload"]).optional(),
  command: text.optional(),
  // How many hosts may run it at once: true (one), a count, or a share of the run's hosts ("10%").
  serial: z
    .custom<true | number | `${number}%`>((v) => v === true || (Number.isInteger(v) && (v as number) > 0) || (typeof v === "string" && /^([1-9][0-9]?|100)%$/.test(v)), {
      // Named here, not by validateNode: it adds what it got only to zod's type and union issues.
      error: (issue) => `expected true (one host at a time), a number of hosts (1 or more) or a percentage of the run's hosts such as "10%", got ${describeValue(issue.input)}`,
    })
    .optional(),
  serial_if: text.optional(),
  jitter: z
    .number({ error: "expected a number of seconds" })
    .min(0, { error: jitterRange })
    .max(60, { error: jitterRange })
    .optional(),
  wait: text.optional(),
  wait_timeout: z.number({ error: "expected a number of seconds" }).int().positive().optional(),
  tags,
});

export const siteSchema = z.array(
  z.strictObject({
    name: text.optional(),
    hosts: z.union([text, z.array(text).min(1)], { error: "expected a group or host name, or a list of them" }),
    roles: z.array(text),
    /** the groups may be missing from an inventory (a feature it does not use), instead of an error */
    optional: z.boolean().optional(),
  }),
  { error: "expected a list of plays (- hosts: ...)" },
);

export const ROLE_FILE_KEYS = ["defaults", "resources", "handlers"] as const;
