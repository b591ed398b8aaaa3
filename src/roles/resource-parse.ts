// One `resources:` item of a role file → a RoleResource, checked as far as it can be without a
// host. What is the same for every kind is here (the one-key map, `when:`, `tags:`, `notify:`, static paths);
// the settings are the form's own (src/resources/<kind>.ts), found in the registry by the item's key.
import { isMap, isScalar, isSeq, type Pair } from "yaml";
import { InventoryError } from "../inventory/index.js";
import { posOf, type YamlSource } from "../inventory/index.js";
import { hasTemplateSyntax, type TemplateRenderer } from "../render/index.js";
import type { ParseApi, Str } from "../resources/kind.js";
import { FORM_KEYS, formOf } from "../resources/registry.js";
import { tags as tagsSchema, when as whenSchema } from "../resources/schema-parts.js";
import type { RoleHandler, RoleResource, When } from "./model.js";
import { absolutePathProblem } from "./paths.js";
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

/** Settings of every kind written beside the kind, as in Ansible (`when:` may also be among the settings). */
const BESIDE = ["when", "tags"];

const keyText = (p: Pair): string => (isScalar(p.key) ? String(p.key.source ?? p.key.value) : "");

export function parseResource(ctx: ParseContext, item: unknown, index: number): RoleResource {
  const { src } = ctx;
  const itemKey = `resources[${index}]`;
  const at = posOf(src, item);
  const oneKeyMap = "expected a one-key map such as `- package: [cron]`";
  const kinds = FORM_KEYS.join(", ");
  if (!isMap(item)) throw errorAt(src, item, [], itemKey, `${oneKeyMap} (kinds: ${kinds})`);
  for (const pair of item.items) {
    const name = keyText(pair);
    if (!BESIDE.includes(name) && !formOf(name)) {
      throw new InventoryError({ ...posOf(src, pair.key), key: itemKey }, `unknown resource kind '${name}' (kinds: ${kinds})`);
    }
  }
  const forms = item.items.filter((p) => !BESIDE.includes(keyText(p)));
  const [formPair, extra] = forms;
  if (!formPair) throw errorAt(src, item, [], itemKey, `${oneKeyMap}: no resource kind given`);
  if (extra) throw new InventoryError({ ...posOf(src, extra.key), key: itemKey }, `one resource per item: '${keyText(formPair)}' and '${keyText(extra)}' are both here`);
  const form = formOf(keyText(formPair))!;
  const key = `${itemKey}.${form.key}`;
  const node = formPair.value;

  const short = form.short && (isSeq(node) || isScalar(node)) ? form.short : undefined;
  const data: Settings = short ? { [short.field]: [validateNode(src, node, short.schema, key)].flat() } : (validateNode(src, node, form.schema, key) as Settings);
  // Where the i-th entry of a list setting is: in the short form the list is the node itself.
  const listPath = (field: string, i: number) => (short ? (isSeq(node) ? [i] : []) : [field, i]);

  const str = (field: string, fallback?: string): Str => {
    const value = data[field];
    if (typeof value === "string") return { text: value, at: stringAt(src, node, [field], key, at) };
    return { text: fallback ?? "", at: { ...at, key: keyPathOf(key, [field]) } };
  };
  const whenPart = optionalWhen(ctx, item, node, data, key);
  const tagList = optionalTags(ctx, item, key);
  const notify = checkNotify(ctx, node, data.notify, key);
  const api: ParseApi = {
    data,
    at,
    str,
    opt: (field) => (typeof data[field] === "string" ? str(field) : undefined),
    list: (field) => ((data[field] as string[] | undefined) ?? []).map((text, i) => ({ text, at: stringAt(src, node, listPath(field, i), key, at) })),
    numberText: (field, fallback) => {
      const value = data[field];
      return typeof value === "number" ? { text: String(value), at: { ...at, key: keyPathOf(key, [field]) } } : str(field, String(fallback));
    },
    notify,
    fileLike: (defaultMode) => ({ owner: str("owner", "root"), group: str("group", "root"), mode: (data.mode ?? defaultMode).padStart(4, "0"), notify }),
    error: (path, problem) => errorAt(src, node, path, key, problem),
    checkTemplate: (name) => {
      if (!ctx.renderer.fileOf(name.text)) throw new InventoryError(name.at, templateMissing(ctx.renderer, name.text));
      ctx.renderer.check(name.text);
    },
    dir: ctx.dir,
  };
  const parsed = form.parse(api) as Record<string, unknown>;
  for (const field of form.paths ?? []) {
    const value = parsed[field] as Str | undefined;
    const problem = value && !hasTemplateSyntax(value.text) ? absolutePathProblem(value.text) : undefined;
    if (value && problem) throw new InventoryError(value.at, problem);
  }
  return { form: form.key, where: `${ctx.rel}:${at.line}`, at, ...whenPart, ...(tagList.length > 0 && { tags: tagList }), item: parsed };
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

/**
 * `tags:` beside the kind, as Ansible has it, for every kind alike (the forms' own settings do not
 * know it): a tag name or a list of them.
 */
function optionalTags(ctx: ParseContext, item: unknown, key: string): string[] {
  const outer = nodeAt(ctx.src, item, ["tags"]);
  const itemKey = key.slice(0, key.lastIndexOf("."));
  const value = outer === undefined ? undefined : validateNode(ctx.src, outer, tagsSchema, `${itemKey}.tags`);
  return [...new Set(value === undefined ? [] : [value].flat())];
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

export function templateMissing(renderer: TemplateRenderer, name: string): string {
  return `template '${name}' not found in ${renderer.shownDir}`;
}
