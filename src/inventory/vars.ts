import { isMap, isScalar } from "yaml";
import { resolvePath } from "../util/paths.js";
import { connectionVarNameProblem, connectionVarProblem, PATH_VARS } from "./connection.js";
import { InventoryError, type SourcePos } from "./errors.js";
import { VAR_NAME_PATTERN, type VarLevel, type VarSet } from "./model.js";
import { errorAt, keyName, posOf, toValue, type YamlSource } from "./yaml-source.js";

type Where = SourcePos & { key: string };

/** Checks a variable's name where it is defined. */
export function checkVarName(name: string, where: Where): void {
  if (!VAR_NAME_PATTERN.test(name)) {
    throw new InventoryError(where, `invalid variable name '${name}' (letters, digits and _, not starting with a digit)`);
  }
  const problem = connectionVarNameProblem(name);
  if (problem) throw new InventoryError(where, problem);
}

/**
 * Checks a variable's value where it is defined and returns the value to store: a relative key or
 * known_hosts path becomes absolute here, because only here is it known which file (and so which
 * directory) it came from.
 */
export function checkVarValue(name: string, value: unknown, where: Where & { baseDir: string }): unknown {
  const problem = connectionVarProblem(name, value);
  if (problem) throw new InventoryError(where, problem);
  return PATH_VARS.has(name) && typeof value === "string" ? resolvePath(where.baseDir, value) : value;
}

/**
 * The variables in a YAML map node (a group's `vars:`, a host's entry, a whole group_vars file).
 * An empty node means no variables; anything but a map is an error.
 */
export function readVarsNode(
  src: YamlSource,
  node: unknown,
  keyPath: string,
  level: VarLevel,
  group?: string,
): VarSet {
  const vars: VarSet = new Map();
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return vars;
  if (!isMap(node)) {
    throw errorAt(src, node, "expected a map of variable: value", keyPath || undefined);
  }
  for (const pair of node.items) {
    const prefix = keyPath ? `${keyPath}.` : "";
    const name = keyName(src, pair.key, keyPath);
    const key = `${prefix}${name}`;
    const at = posOf(src, pair.key);
    // Name problems point at the key, value problems at the value.
    checkVarName(name, { ...at, key });
    const value = checkVarValue(name, toValue(src, pair.value, key), {
      ...posOf(src, pair.value ?? pair.key),
      key,
      baseDir: src.baseDir,
    });
    vars.set(name, { value, origin: { ...at, level, ...(group !== undefined && { group }) } });
  }
  return vars;
}

/**
 * Variables handed over by code (role defaults, extra vars built by a caller) as a VarSet: a VarSet is
 * taken as is, a plain object is checked like a file would be and labelled with `label` as its origin.
 */
export function toVarSet(input: VarSet | Record<string, unknown> | undefined, level: VarLevel, label: string): VarSet {
  if (input === undefined) return new Map();
  if (input instanceof Map) return input;
  const vars: VarSet = new Map();
  for (const [name, raw] of Object.entries(input)) {
    const at = { file: label, line: 0, column: 0 };
    checkVarName(name, { ...at, key: name });
    const value = checkVarValue(name, raw, { ...at, key: name, baseDir: process.cwd() });
    vars.set(name, { value, origin: { ...at, level } });
  }
  return vars;
}

/** Later sets replace earlier ones, one variable at a time (Ansible's hash_behaviour=replace). */
export function mergeVars(target: VarSet, ...sources: VarSet[]): VarSet {
  for (const source of sources) for (const [name, def] of source) target.set(name, def);
  return target;
}
