// Validation of YAML nodes against zod schemas, with errors at the offending line: the node is turned
// into plain data for zod, and the path of zod's first issue is walked back down the YAML nodes.
import { isAlias, isMap, isScalar, isSeq, Scalar } from "yaml";
import { z } from "zod";
import { describeValue, InventoryError, type SourcePos } from "../inventory/index.js";
import { posOf, toValue, type YamlSource } from "../inventory/index.js";
import type { StringSource } from "../render/index.js";

type Path = readonly PropertyKey[];

/** `a.b[2].c` */
export function keyPathOf(base: string, path: Path): string {
  let out = base;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `${out ? "." : ""}${String(seg)}`;
  return out;
}

function deref(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

/** The value node at `path` under `node` (or, with `key`, the key node of its last step); undefined if absent. */
export function nodeAt(src: YamlSource, node: unknown, path: Path, key = false): unknown {
  let at = deref(src, node);
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(at)) {
      const pair = at.items.find((p) => isScalar(p.key) && String(p.key.source ?? p.key.value) === String(seg));
      if (!pair) return undefined;
      at = deref(src, last && key ? pair.key : pair.value);
    } else if (isSeq(at) && typeof seg === "number") {
      at = deref(src, at.items[seg]);
    } else return undefined;
  }
  return at;
}

/** The deepest node along `path` that exists: where to point when something is missing. */
function nearestNode(src: YamlSource, node: unknown, path: Path): unknown {
  for (let n = path.length; n >= 0; n--) {
    const found = nodeAt(src, node, path.slice(0, n));
    if (found) return found;
  }
  return node;
}

const TYPE_NAMES: Record<string, string> = { string: "text", array: "a list", object: "a map", boolean: "true or false", number: "a number" };

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** The object schema that describes the value at `path`, if the path leads through lists and objects only. */
function schemaAt(schema: z.ZodType, path: Path): z.ZodObject | undefined {
  let at: z.ZodType | undefined = schema;
  for (const seg of path) {
    if (at instanceof z.ZodOptional) at = at.unwrap() as z.ZodType;
    if (at instanceof z.ZodArray && typeof seg === "number") at = at.element as z.ZodType;
    else if (at instanceof z.ZodObject && typeof seg === "string") at = at.shape[seg] as z.ZodType | undefined;
    else return undefined;
  }
  return at instanceof z.ZodObject ? at : undefined;
}

/** A value for "got ...": numbers and booleans as written (YAML reads an unquoted 0644 as 420). */
function describeGot(value: unknown, node: unknown): string {
  if ((typeof value === "number" || typeof value === "boolean") && isScalar(node) && node.source) return node.source;
  return describeValue(value);
}

/** Plain data for a node, checked against a schema; the first problem is an error at its line. */
export function validateNode<S extends z.ZodType>(src: YamlSource, node: unknown, schema: S, keyPath: string): z.output<S> {
  const data = toValue(src, node, keyPath);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  // A misspelt key also makes the intended one missing: name the misspelling.
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  if (!issue) throw new InventoryError({ ...posOf(src, node), key: keyPath }, "invalid");
  const path = issue.path;
  let at: unknown = nodeAt(src, node, path);
  let key = keyPathOf(keyPath, path);
  // zod's own messages start like this; a schema's custom message is used as it is.
  const custom = !/^(Invalid|Unrecognized|Too (small|big))\b/.test(issue.message);
  let problem = issue.message;
  if (issue.code === "unrecognized_keys") {
    const name = issue.keys[0] ?? "";
    at = nodeAt(src, node, [...path, name], true);
    const object = schemaAt(schema, path);
    const allowed = object ? ` (allowed: ${Object.keys(object.shape).join(", ")})` : "";
    problem = `unknown key '${name}'${allowed}`;
  } else if ((issue.code === "invalid_type" || issue.code === "invalid_union") && path.length > 0 && valueAt(data, path) === undefined) {
    at = nearestNode(src, node, path.slice(0, -1));
    problem = `'${String(path[path.length - 1])}' is required`;
    key = keyPathOf(keyPath, path.slice(0, -1));
  } else if (!custom && issue.code === "invalid_type") {
    problem = `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeGot(valueAt(data, path), at)}`;
  } else if (!custom && issue.code === "invalid_value") {
    problem = `expected one of ${issue.values.map(String).join(", ")}, got ${describeGot(valueAt(data, path), at)}`;
  } else if (custom && ["invalid_type", "invalid_union", "invalid_format"].includes(issue.code)) {
    problem = `${issue.message}, got ${describeGot(valueAt(data, path), at)}`;
  }
  throw new InventoryError({ ...posOf(src, at ?? nearestNode(src, node, path)), key: key || undefined }, problem);
}

/** Where a string value is, for errors found when it is rendered; a block scalar's text starts a line below. */
export function stringAt(src: YamlSource, node: unknown, path: Path, keyPath: string, fallback: SourcePos): StringSource {
  const at = nodeAt(src, node, path);
  const pos = at ? posOf(src, at) : fallback;
  const block = at instanceof Scalar && (at.type === Scalar.BLOCK_LITERAL || at.type === Scalar.BLOCK_FOLDED);
  return { ...pos, key: keyPathOf(keyPath, path), ...(block && { firstLine: pos.line + 1 }) };
}

/** An error about the value at `path` (or the nearest node that exists). */
export function errorAt(src: YamlSource, node: unknown, path: Path, keyPath: string, problem: string): InventoryError {
  return new InventoryError({ ...posOf(src, nearestNode(src, node, path)), key: keyPathOf(keyPath, path) }, problem);
}
