// The shapes of a role file's parts. Only types and fixed formats are checked here; what needs the
// rest of the role (handler names) or a host (rendered paths) is checked in role-file.ts and expand.ts.
import { z } from "zod";

const text = z.string();
const common = {
  owner: text.optional(),
  group: text.optional(),
  mode: z
    .string({ error: 'expected the mode as quoted octal text, e.g. "0644"' })
    .regex(/^[0-7]{3,4}$/, { error: 'expected an octal mode of 3 or 4 digits, e.g. "0644"' })
    .optional(),
};
const notify = z.union([text, z.array(text)], { error: "expected a handler name or a list of handler names" }).optional();
export const when = z.union([text, z.boolean()], { error: "expected an expression (text) or true/false" }).optional();

export const KIND_SCHEMAS = {
  package: z.strictObject({ names: z.array(text).min(1, { error: "expected at least one package name" }), when }),
  directory: z.strictObject({ path: text, ...common, notify, when }),
  template: z.strictObject({ src: text, dest: text, ...common, validate: text.optional(), force: z.boolean().optional(), notify, when }),
  copy: z.strictObject({ content: text.optional(), file: text.optional(), dest: text, ...common, validate: text.optional(), force: z.boolean().optional(), notify, when }),
  service: z.strictObject({ name: text, enabled: z.boolean().optional(), state: z.enum(["started", "stopped"]).optional(), notify, when }),
  command: z.strictObject({ name: text, run: text, creates: text.optional(), unless: text.optional(), notify, when }),
  certificate: z.strictObject({
    key: text,
    cert: text,
    ca: text.optional(),
    common_name: text,
    ips: z.array(text).optional(),
    dns: z.array(text).optional(),
    group: text.optional(),
    days: z.union([z.number().int().positive(), text], { error: "expected a number of days" }).optional(),
    renew_days: z.union([z.number().int().nonnegative(), text], { error: "expected a number of days" }).optional(),
    notify,
    when,
  }),
} as const;

export type Kind = keyof typeof KIND_SCHEMAS;
export const KINDS = Object.keys(KIND_SCHEMAS) as Kind[];
export type KindSettings<K extends Kind> = z.output<(typeof KIND_SCHEMAS)[K]>;

/** `package: [a, b]` or `package: a`, the short forms of `package: { names: [a, b] }`. */
export const packageList = z.union([text, z.array(text).min(1)], { error: "expected a package name or a list of them" });

export const handlerSchema = z.strictObject({
  service: text.optional(),
  action: z.enum(["restart", "reload"]).optional(),
  command: text.optional(),
  serial: z.literal(true, { error: "expected true (or use serial_if: a shell test)" }).optional(),
  serial_if: text.optional(),
  wait: text.optional(),
  wait_timeout: z.number({ error: "expected a number of seconds" }).int().positive().optional(),
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
