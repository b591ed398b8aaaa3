// zod issues as `key: problem` lines, for the agent's config file and the peer records: they name
// the field but never echo its value (a value may be the BGP password, or come from anyone who can
// write to etcd).
import { z } from "zod";

/**
 * Turns zod issues into `key: problem` lines that name the field but never echo its value.
 * `input` is what was parsed: zod 4 leaves the input out of its issues, and a missing key is
 * told apart from a wrong type by looking the path up in it.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const key = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(top level)";
    return `${key}: ${problemOf(issue, input)}`;
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function problemOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (valueAt(input, issue.path) === undefined) return "is missing";
      // Our own message when the schema gave one; zod's default names the received type, keep it short.
      return issue.message.startsWith("Invalid input") ? `must be ${article(issue.expected)}` : issue.message;
    case "unrecognized_keys":
      // zod's own message lists the keys, which come from the input: count them instead.
      return issue.keys.length === 1 ? "has an unknown key" : `has ${issue.keys.length} unknown keys`;
    case "custom":
    case "invalid_format":
    case "too_big":
    case "too_small":
    case "invalid_value":
    case "not_multiple_of":
      return issue.message; // our own fixed text, or zod's, which states limits, not the input
    default:
      return "is invalid";
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export type JsonEntry<T> = { ok: true; data: T } | { ok: false; reason: string };

/**
 * An etcd value (untrusted) checked against a schema. Never throws; the reason is one short line
 * that names the field and the rule, never the value (which may be an attack, or huge).
 */
export function parseJsonEntry<S extends z.ZodType>(value: string, schema: S, maxBytes: number): JsonEntry<z.output<S>> {
  if (Buffer.byteLength(value, "utf8") > maxBytes) return { ok: false, reason: `value is larger than ${maxBytes} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    // V8's message quotes the text around the error: say only that it is not JSON.
    return { ok: false, reason: "value is not JSON" };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = describeIssues(parsed.error.issues, json);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return { ok: false, reason: `${problems[0] ?? "invalid"}${more}` };
}
