import { REDACTED, Secret } from "./secret.js";

/** A place in a file the user wrote; line and column are 1-based, 0 when the problem is the file as a whole. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface InventoryErrorDetails extends SourcePos {
  /** Dotted path of the offending key, e.g. "all.hosts.node1.ansible_port". */
  key?: string;
  host?: string;
}

/**
 * Anything wrong with the inventory or the variables given to it. The message starts with the place
 * ("inventory.yml:12:5: all.hosts.node1.ansible_port: ...") so editors and terminals can jump to it;
 * the file is shown as the user named it, not made absolute.
 */
export class InventoryError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly key: string | undefined;
  readonly host: string | undefined;
  /** The message without the place, for callers that show the place their own way. */
  readonly problem: string;

  constructor(details: InventoryErrorDetails, problem: string) {
    const { file, line, column, key } = details;
    const place = line > 0 ? `${file}:${line}${column > 0 ? `:${column}` : ""}` : file;
    super(`${place}: ${key ? `${key}: ` : ""}${problem}`);
    this.name = "InventoryError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.key = key;
    this.host = details.host;
    this.problem = problem;
  }
}

/** A short description of a value for "got ..." in messages; a secret is described, never shown. */
export function describeValue(value: unknown): string {
  if (value instanceof Secret) return REDACTED;
  if (value === null || value === undefined) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
