// roles/<name>/role.yml: defaults, resources and handlers.
import { dirname, join } from "node:path";
import { isMap, isScalar, isSeq } from "yaml";
import { InventoryError, type VarSet } from "../inventory/index.js";
import { readVarsNode } from "../inventory/index.js";
import { keyName, posOf, readYamlFile, type YamlSource } from "../inventory/index.js";
import type { TemplateRenderer } from "../render/index.js";
import type { RollingSize } from "../model/resource.js";
import type { Role, RoleHandler, Str } from "./model.js";
import { parseResource } from "./resource-parse.js";
import { handlerSchema, ROLE_FILE_KEYS } from "./role-schema.js";
import { errorAt, stringAt, validateNode } from "./yaml-check.js";

export interface RoleLoadOptions {
  /** the project folder as given (role files are named under it in messages) */
  dir: string;
  renderer: TemplateRenderer;
  env: NodeJS.ProcessEnv;
}

/** A key with nothing after it, or no key at all. */
const isEmpty = (node: unknown): boolean => node === undefined || node === null || (isScalar(node) && node.value === null);

export function roleFileOf(name: string): string {
  return `roles/${name}/role.yml`;
}

export async function loadRole(name: string, opts: RoleLoadOptions): Promise<Role> {
  const rel = roleFileOf(name);
  const file = join(opts.dir, rel);
  // Relative `!file` paths in defaults start at the role's folder.
  const src = await readYamlFile(file, opts.env, dirname(file));
  const root = src.doc.contents;
  if (!isEmpty(root) && !isMap(root)) throw errorAt(src, root, [], "", `expected a map with ${ROLE_FILE_KEYS.join(", ")}`);
  const part = (key: string): unknown => (isMap(root) ? root.get(key, true) : undefined);
  if (isMap(root)) {
    for (const pair of root.items) {
      const key = keyName(src, pair.key, "");
      if (!(ROLE_FILE_KEYS as readonly string[]).includes(key)) {
        throw new InventoryError({ ...posOf(src, pair.key), key }, `unknown key '${key}' in a role file (allowed: ${ROLE_FILE_KEYS.join(", ")})`);
      }
    }
  }
  const defaults: VarSet = readVarsNode(src, part("defaults"), "defaults", "role_default");
  const handlers = readHandlers(src, part("handlers"), rel);
  const list = part("resources");
  if (!isEmpty(list) && !isSeq(list)) throw errorAt(src, list, [], "resources", "expected a list of resources");
  const ctx = { src, rel, handlers, renderer: opts.renderer, dir: opts.dir };
  const resources = isSeq(list) ? list.items.map((item, i) => parseResource(ctx, item, i)) : [];
  return { name, file, rel, defaults, resources, handlers, renderer: opts.renderer };
}

/** `serial_if` alone rolls one host at a time, as `serial: true` does. */
function rollingOf(serial: true | number | string | undefined, jitterSec: number | undefined, test: Str | undefined): RoleHandler["rolling"] {
  if (serial === undefined && test === undefined) return undefined;
  const size: RollingSize = typeof serial === "string" ? { percent: Number(serial.slice(0, -1)) } : { hosts: serial === true || serial === undefined ? 1 : serial };
  return { size, ...(test && { if: test }), ...(jitterSec !== undefined && { jitterSec }) };
}

function readHandlers(src: YamlSource, node: unknown, rel: string): Map<string, RoleHandler> {
  const handlers = new Map<string, RoleHandler>();
  if (isEmpty(node)) return handlers;
  if (!isMap(node)) throw errorAt(src, node, [], "handlers", "expected a map of handler name: { service: NAME } or { command: ... }");
  for (const pair of node.items) {
    const name = keyName(src, pair.key, "handlers");
    const key = `handlers.${name}`;
    const at = posOf(src, pair.key);
    const data = validateNode(src, pair.value, handlerSchema, key);
    const value = pair.value;
    if ((data.service === undefined) === (data.command === undefined)) {
      throw errorAt(src, value ?? pair.key, [], key, "a handler has either 'service' (with 'action') or 'command'");
    }
    if (data.command !== undefined && data.action !== undefined) {
      throw errorAt(src, value, ["action"], key, "'action' goes with 'service', not 'command'");
    }
    const action =
      data.service !== undefined
        ? { service: { text: data.service, at: stringAt(src, value, ["service"], key, at) }, verb: data.action ?? ("restart" as const) }
        : { command: { text: data.command ?? "", at: stringAt(src, value, ["command"], key, at) } };
    if (data.wait_timeout !== undefined && data.wait === undefined) {
      throw errorAt(src, value, ["wait_timeout"], key, "'wait_timeout' goes with 'wait'");
    }
    if (data.jitter !== undefined && data.serial === undefined && data.serial_if === undefined) {
      throw errorAt(src, value, ["jitter"], key, "'jitter' goes with 'serial' or 'serial_if'");
    }
    const test = data.serial_if === undefined ? undefined : { text: data.serial_if, at: stringAt(src, value, ["serial_if"], key, at) };
    const rolling = rollingOf(data.serial, data.jitter, test);
    const wait =
      data.wait !== undefined
        ? { command: { text: data.wait, at: stringAt(src, value, ["wait"], key, at) }, timeoutSec: data.wait_timeout ?? 60 }
        : undefined;
    const tags = data.tags === undefined ? [] : [...new Set([data.tags].flat())];
    handlers.set(name, { name, action, ...(rolling && { rolling }), ...(wait && { wait }), ...(tags.length > 0 && { tags }), where: `${rel}:${at.line}`, at });
  }
  return handlers;
}
