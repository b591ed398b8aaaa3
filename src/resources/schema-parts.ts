// Settings several kinds' role-file schemas share. Only types and fixed formats are checked here;
// what needs the rest of the role (handler names) or a host (rendered paths) is checked later.
import { z } from "zod";

export const text = z.string();

export const notify = z.union([text, z.array(text)], { error: "expected a handler name or a list of handler names" }).optional();

export const when = z.union([text, z.boolean()], { error: "expected an expression (text) or true/false" }).optional();

/** Fixed names, never templates: a run picks resources by them before anything is rendered. */
const tagName = z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: "expected a tag name: letters, digits, _ . -" });

/** `tags:` of a resource (beside its kind, read by the role loader for every kind) or of a handler. */
export const tags = z.union([tagName, z.array(tagName)], { error: "expected a tag name or a list of them" }).optional();

/** owner, group and mode of a file or folder */
export const ownership = {
  owner: text.optional(),
  group: text.optional(),
  mode: z
    .string({ error: 'expected the mode as quoted octal text, e.g. "0644"' })
    .regex(/^[0-7]{3,4}$/, { error: 'expected an octal mode of 3 or 4 digits, e.g. "0644"' })
    .optional(),
};
