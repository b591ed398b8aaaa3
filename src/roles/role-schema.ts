// The shapes of a role file's parts but its resources (each form's schema is in its kind's module,
// src/resources/). Only types and fixed formats are checked here; what needs the rest of the role
// (handler names) or a host (rendered paths) is checked in role-file.ts and expand.ts.
import { z } from "zod";
import { tags } from "../resources/schema-parts.js";

const text = z.string();

export const handlerSchema = z.strictObject({
  service: text.optional(),
  action: z.enum(["restart", "reload"]).optional(),
  command: text.optional(),
  serial: z.literal(true, { error: "expected true (or use serial_if: a shell test)" }).optional(),
  serial_if: text.optional(),
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
