// One `resources:` item of a role file → a RoleResource, checked as far as it can be without a host.
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Pair } from "yaml";
import { InventoryError } from "../inventory/index.js";
import { posOf, type YamlSource } from "../inventory/index.js";
import { hasTemplateSyntax, type TemplateRenderer } from "../render/index.js";
import type { RoleHandler, RoleResource, Str, When } from "./model.js";
import { absolutePathProblem } from "./paths.js";
import { KIND_SCHEMAS, KINDS, packageList, when as whenSchema, type Kind } from "./role-schema.js";
import { errorAt, keyPathOf, nodeAt, stringAt, validateNode } from "./yaml-check.js";

export interface ParseContext {
  src: YamlSource;
  /** role.yml relative to the project, for Origin.where */
  rel: string;
  handlers: ReadonlyMap<string, RoleHandler>;
  renderer: TemplateRenderer;
  /** the project folder: `copy: { file: ... }` paths start there */
  dir: string;
}

type Settings = Record<string, unknown> & { notify?: string | string[]; when?: string | boolean; mode?: string };

const keyText = (p: Pair): string => (isScalar(p.key) ? String(p.key.source ?? p.key.value) : "");

export function parseResource(ctx: ParseContext, item: unknown, index: number): RoleResource {
  const { src } = ctx;
  const itemKey = `resources[${index}]`;
  const at = posOf(src, item);
  const oneKeyMap = "expected a one-key map such as `- package: [cron]`";
  if (!isMap(item)) throw errorAt(src, item, [], itemKey, `${oneKeyMap} (kinds: ${KINDS.join(", ")})`);
  for (const pair of item.items) {
    const name = keyText(pair);
    if (name !== "when" && !(KINDS as string[]).includes(name)) {
      throw new InventoryError({ ...posOf(src, pair.key), key: itemKey }, `unknown resource kind '${name}' (kinds: ${KINDS.join(", ")})`);
    }
  }
  const kinds = item.items.filter((p) => keyText(p) !== "when");
  const [kindPair, extra] = kinds;
  if (!kindPair) throw errorAt(src, item, [], itemKey, `${oneKeyMap}: no resource kind given`);
  if (extra) throw new InventoryError({ ...posOf(src, extra.key), key: itemKey }, `one resource per item: '${keyText(kindPair)}' and '${keyText(extra)}' are both here`);
  const kind = keyText(kindPair) as Kind;
  const key = `${itemKey}.${kind}`;
  const node = kindPair.value;

  const shortPackage = kind === "package" && (isSeq(node) || isScalar(node));
  const data: Settings = shortPackage
    ? { names: [validateNode(src, node, packageList, key)].flat() }
    : (validateNode(src, node, KIND_SCHEMAS[kind], key) as Settings);

  const str = (field: string, fallback?: string): Str => {
    const value = data[field];
    if (typeof value === "string") return { text: value, at: stringAt(src, node, [field], key, at) };
    return { text: fallback ?? "", at: { ...at, key: keyPathOf(key, [field]) } };
  };
  const opt = (field: string): Str | undefined => (typeof data[field] === "string" ? str(field) : undefined);
  const base = { where: `${ctx.rel}:${at.line}`, at, ...optionalWhen(ctx, item, node, data, key) };
  const notify = checkNotify(ctx, node, data.notify, key);
  const fileLike = () => ({
    owner: str("owner", "root"),
    group: str("group", "root"),
    mode: (data.mode ?? (kind === "directory" ? "0755" : "0644")).padStart(4, "0"),
    notify,
  });

  let res: RoleResource;
  switch (kind) {
    case "package": {
      const names = data["names"] as string[];
      const path = (i: number) => (shortPackage ? (isSeq(node) ? [i] : []) : ["names", i]);
      res = { kind, ...base, names: names.map((text, i) => ({ text, at: stringAt(src, node, path(i), key, at) })) };
      break;
    }
    case "directory":
      res = { kind, ...base, ...fileLike(), path: str("path") };
      break;
    case "template":
      res = { kind, ...base, ...fileLike(), src: str("src"), dest: str("dest"), ...(opt("validate") && { validate: str("validate") }), ...pick(data, ["force"]) };
      checkTemplateSrc(ctx, res.src);
      break;
    case "copy": {
      if ((data["content"] === undefined) === (data["file"] === undefined)) {
        throw errorAt(src, node, [], key, "a copy has either 'content' (text, may use variables) or 'file' (a file of the project, copied as is)");
      }
      // Whether the file exists is checked when the resource is kept for a host: a pull on a node
      // skips, by `when:`, what only a push from a built checkout can copy.
      const file = opt("file");
      res = {
        kind,
        ...base,
        ...fileLike(),
        ...(file ? { file: { text: join(ctx.dir, file.text), at: file.at } } : { content: str("content") }),
        dest: str("dest"),
        ...(opt("validate") && { validate: str("validate") }),
        ...pick(data, ["force"]),
      };
      break;
    }
    case "service":
      res = { kind, ...base, name: str("name"), notify, ...pick(data, ["enabled", "state"]) };
      break;
    case "command":
      res = { kind, ...base, name: str("name"), run: str("run"), notify, ...(opt("creates") && { creates: str("creates") }), ...(opt("unless") && { unless: str("unless") }) };
      break;
    case "certificate": {
      const list = (field: string) => ((data[field] as string[] | undefined) ?? []).map((text, i) => ({ text, at: stringAt(src, node, [field, i], key, at) }));
      const days = (field: string, fallback: number): Str => {
        const value = data[field];
        return typeof value === "number" ? { text: String(value), at: { ...at, key: keyPathOf(key, [field]) } } : str(field, String(fallback));
      };
      res = {
        kind,
        ...base,
        key: str("key"),
        cert: str("cert"),
        ...(opt("ca") && { ca: str("ca") }),
        commonName: str("common_name"),
        ips: list("ips"),
        dns: list("dns"),
        group: str("group", "root"),
        days: days("days", 365),
        renewDays: days("renew_days", 30),
        notify,
      };
      break;
    }
  }
  for (const field of ["path", "dest", "creates", "key", "cert", "ca"] as const) {
    const value = (res as unknown as Partial<Record<string, Str>>)[field];
    const problem = value && !hasTemplateSyntax(value.text) ? absolutePathProblem(value.text) : undefined;
    if (value && problem) throw new InventoryError(value.at, problem);
  }
  return res;
}

function pick(data: Settings, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => data[f] !== undefined).map((f) => [f, data[f]]));
}

/** `when:` beside the kind (Ansible's place) or among the settings, not both. */
function optionalWhen(ctx: ParseContext, item: unknown, node: unknown, data: Settings, key: string): { when?: When } {
  const outer = nodeAt(ctx.src, item, ["when"]);
  const itemKey = key.slice(0, key.lastIndexOf("."));
  if (outer && data.when !== undefined) throw errorAt(ctx.src, item, ["when"], itemKey, "'when' is given twice, beside the resource and inside it");
  const value = outer ? validateNode(ctx.src, outer, whenSchema, `${itemKey}.when`) : data.when;
  if (value === undefined || typeof value === "boolean") return value === undefined ? {} : { when: value };
  const at = outer ? stringAt(ctx.src, item, ["when"], itemKey, posOf(ctx.src, item)) : stringAt(ctx.src, node, ["when"], key, posOf(ctx.src, node));
  return { when: { text: value, at } };
}

/** Handlers are looked up in the same role only: a role must work whatever roles a host has besides it. */
function checkNotify(ctx: ParseContext, node: unknown, notify: string | string[] | undefined, key: string): string[] {
  const names = notify === undefined ? [] : [notify].flat();
  names.forEach((name, i) => {
    if (ctx.handlers.has(name)) return;
    const path = Array.isArray(notify) ? ["notify", i] : ["notify"];
    const known = [...ctx.handlers.keys()];
    const hint = known.length ? `this role's handlers: ${known.join(", ")}` : "this role has no handlers";
    throw errorAt(ctx.src, node, path, key, `unknown handler '${name}' (${hint})`);
  });
  return [...new Set(names)];
}

function checkTemplateSrc(ctx: ParseContext, src: Str): void {
  if (hasTemplateSyntax(src.text)) return; // known per host only: checked when rendered
  if (!ctx.renderer.fileOf(src.text)) throw new InventoryError(src.at, templateMissing(ctx.renderer, src.text));
  ctx.renderer.check(src.text);
}

export function templateMissing(renderer: TemplateRenderer, name: string): string {
  return `template '${name}' not found in ${renderer.shownDir}`;
}
