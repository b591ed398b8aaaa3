import { collectSecrets, Redactor } from "../inventory/index.js";
import { Secret } from "../inventory/index.js";

/** What one host's templates are rendered with. */
export interface RenderScope {
  host: string;
  /** the template variables, secrets revealed (plain text) */
  context: Record<string, unknown>;
  /** every non-empty secret value the context can reach: output containing one is secret */
  secretValues: readonly string[];
  /** scrubs those values out of error messages */
  redactor: Redactor;
  /** said after "'x' is undefined for host h", e.g. "(not set by the inventory, -e, or the role defaults of demo)" */
  undefinedHint: string;
}

/** The secrets a value holds, revealed, non-empty and longest first (a secret inside another is found whole). */
export function secretValuesOf(value: unknown): string[] {
  const texts = new Set(collectSecrets(value).map((s) => s.reveal()).filter((t) => t !== ""));
  return [...texts].sort((a, b) => b.length - a.length);
}

export function containsSecret(text: string, secretValues: readonly string[]): boolean {
  return secretValues.some((v) => text.includes(v));
}

/**
 * A copy of a value with every Secret replaced by its text, for nunjucks to print. Shared parts stay
 * shared (YAML aliases), and keys such as `__proto__` stay data.
 */
export function revealSecrets(value: unknown, memo = new Map<object, unknown>()): unknown {
  if (value instanceof Secret) return value.reveal();
  if (value === null || typeof value !== "object") return value;
  const known = memo.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const item of value) out.push(revealSecrets(item, memo));
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  memo.set(value, out);
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: revealSecrets(v, memo), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
