import { inspect } from "node:util";

/** What a secret looks like wherever it is printed, logged, serialised or diffed. */
export const REDACTED = "‹secret›";

/**
 * A value marked secret in the inventory (`!secret`, `!env`, `!file`). Every way of turning it into text
 * yields REDACTED, so a secret that slips into a log line, a JSON plan or an error message shows up as the
 * marker instead of the value; code that really needs the value has to say so with reveal().
 */
export class Secret {
  // A private field, not a property: spread, Object.entries, structuredClone and the debugger's
  // property list cannot see it.
  readonly #value: string;

  /** @param source where the value came from, e.g. "!env DB_PASSWORD": never the value itself. */
  constructor(
    value: string,
    readonly source: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Every Secret inside a value, however deeply nested in arrays, maps and objects. */
export function collectSecrets(value: unknown): Secret[] {
  const found = new Set<Secret>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v instanceof Secret) found.add(v);
    else if (v === null || typeof v !== "object" || seen.has(v)) return;
    else {
      seen.add(v);
      const items = v instanceof Map ? v.values() : Array.isArray(v) ? v : Object.values(v);
      for (const item of items) walk(item);
    }
  };
  walk(value);
  return [...found];
}

/** A copy of a value with every Secret replaced by REDACTED, for printing structured data. */
export function maskSecrets(value: unknown): unknown {
  if (value instanceof Secret) return REDACTED;
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, maskSecrets(v)]));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
}

/**
 * Scrubs known secret values out of free text (command output, diffs) that may have picked them up
 * after reveal(), e.g. a remote command echoing a password back.
 */
export class Redactor {
  #values: string[] = [];

  constructor(secrets: Iterable<Secret> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<Secret>): void {
    // An empty secret would match between every two characters.
    const values = new Set([...this.#values, ...[...secrets].map((s) => s.reveal()).filter((v) => v !== "")]);
    // Longest first, so a secret that contains another is replaced whole.
    this.#values = [...values].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.#values) out = out.split(v).join(REDACTED);
    return out;
  }
}

export function redact(text: string, secrets: Iterable<Secret>): string {
  return new Redactor(secrets).redact(text);
}
