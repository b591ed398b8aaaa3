import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { Document, Scalar, YAMLError } from "yaml";
import { InventoryError, type SourcePos } from "./errors.js";
import { redact, Secret } from "./secret.js";
import { inventoryTags, SECRET_TAGS, type TagContext } from "./tags.js";

/** One parsed YAML file, kept as a document (not plain data) so every value still knows its line. */
export interface YamlSource {
  /** The path as the user would recognise it (relative if they gave a relative path). */
  file: string;
  /** Where relative paths written in this file start. */
  baseDir: string;
  doc: Document.Parsed;
  lines: LineCounter;
  text: string;
}

export function parseYaml(text: string, file: string, ctx: TagContext): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: "1.1",
    customTags: inventoryTags(ctx),
    lineCounter: lines,
    prettyErrors: false,
  });
  const src: YamlSource = { file, baseDir: ctx.baseDir, doc, lines, text };
  // Warnings too: an unresolved tag (say an Ansible `!vault`) is only a warning to the yaml library, but
  // carrying on would turn an encrypted value into plain text.
  const first = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (first) throw parseProblem(src, first);
  return src;
}

/** Reads and parses a file; relative paths in it start at baseDir (default: the file's own directory). */
export async function readYamlFile(file: string, env: NodeJS.ProcessEnv, baseDir = dirname(file)): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : `cannot read (${code})`;
    throw new InventoryError({ file, line: 0, column: 0 }, why);
  }
  return parseYaml(text, file, { baseDir, env });
}

function parseProblem(src: YamlSource, e: YAMLError): InventoryError {
  let message = e.message;
  let offset = e.pos[0];
  const unresolved = /^Unresolved tag: (\S+)/.exec(message)?.[1];
  if (unresolved) {
    message = (SECRET_TAGS as readonly string[]).includes(unresolved)
      ? `${unresolved} must be followed by a single text value, not a list or map`
      : `unsupported tag ${unresolved} (supported: ${SECRET_TAGS.join(", ")})`;
  } else if (e.code === "DUPLICATE_KEY") {
    // After a key with an empty value the library reports the end of the line before the duplicate.
    offset = skipBlank(src.text, offset);
    const key = /^[\w.-]+(?=[ \t]*:)/.exec(src.text.slice(offset))?.[0];
    message = `duplicate key${key ? ` '${key}'` : ""}: a map cannot list the same key twice`;
  } else if (e.code === "MULTIPLE_DOCS") {
    message = "a second YAML document starts here (---): the file must hold one";
  } else if (e.code !== "TAG_RESOLVE_FAILED") {
    message = `YAML syntax error: ${message}`;
  }
  // The parser's messages quote little source text, but a secret a few characters long could be in it.
  const secrets: Secret[] = [];
  visit(src.doc, {
    Scalar(_, node: Scalar) {
      if (node.value instanceof Secret) secrets.push(node.value);
    },
  });
  const { line, col } = src.lines.linePos(offset);
  return new InventoryError({ file: src.file, line, column: col }, redact(message, secrets));
}

/** The offset of the next character that is neither white space nor inside a comment. */
function skipBlank(text: string, offset: number): number {
  let i = offset;
  while (i < text.length) {
    if (/\s/.test(text.charAt(i))) i++;
    else if (text.charAt(i) === "#") while (i < text.length && text.charAt(i) !== "\n") i++;
    else break;
  }
  return i;
}

export function posOf(src: YamlSource, node: unknown): SourcePos {
  const offset = isNode(node) ? node.range?.[0] : undefined;
  if (offset === undefined) return { file: src.file, line: 0, column: 0 };
  const { line, col } = src.lines.linePos(offset);
  return { file: src.file, line, column: col };
}

export function errorAt(src: YamlSource, node: unknown, problem: string, key?: string): InventoryError {
  return new InventoryError({ ...posOf(src, node), key }, problem);
}

/** The text of a map key. Keys are names here, so only plain text is accepted. */
export function keyName(src: YamlSource, key: unknown, keyPath: string): string {
  const node = key;
  if (!isScalar(key)) throw errorAt(src, node, "a key must be plain text, not a list, map or alias", keyPath);
  if (typeof key.value === "symbol") {
    throw errorAt(src, node, "YAML merge keys (<<) are not supported: write the values out", keyPath);
  }
  if (key.value instanceof Secret) throw errorAt(src, node, "a key cannot be a secret", keyPath);
  // The source text, so that `yes:` or `010:` name a host "yes" or "010", not true or 8.
  const name = key.source ?? String(key.value ?? "");
  if (name === "") throw errorAt(src, node, "empty key", keyPath);
  return name;
}

/**
 * Plain data for a value node; Secrets stay Secret objects. Not the library's toJS(), which would call
 * Secret.toJSON() and so replace every secret with the redaction marker.
 */
export function toValue(src: YamlSource, node: unknown, keyPath: string, active = new Set<unknown>()): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(src.doc);
    if (!target) throw errorAt(src, node, `alias *${node.source} has no anchor &${node.source} before it`, keyPath);
    if (active.has(target)) throw errorAt(src, node, `alias *${node.source} refers to itself`, keyPath);
    return toValue(src, target, keyPath, active);
  }
  if (isScalar(node)) return node.value;
  active.add(node);
  try {
    if (isSeq(node)) return node.items.map((item, i) => toValue(src, item, `${keyPath}[${i}]`, active));
    if (isMap(node)) {
      // fromEntries, not assignment: a key named __proto__ must become data, not replace the prototype.
      return Object.fromEntries(
        node.items.map((pair) => {
          const k = keyName(src, pair.key, keyPath);
          return [k, toValue(src, pair.value, `${keyPath}.${k}`, active)];
        }),
      );
    }
  } finally {
    active.delete(node);
  }
  throw errorAt(src, node, "unsupported YAML value", keyPath);
}
