import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ENCRYPTED_EXT } from "../secrets/age.js";
import { readEncryptedVarsFile } from "./encrypted-vars.js";
import { InventoryError } from "./errors.js";
import type { VarLevel, VarSet } from "./model.js";
import { mergeVars, readVarsNode } from "./vars.js";
import { readYamlFile } from "./yaml-source.js";

export type VarsDirKind = "group_vars" | "host_vars";

// `name.yml.age` is `name.yml` encrypted (src/secrets/), read at the same place in the order.
const YAML_EXT = [".yml", ".yaml", ".yml.age", ".yaml.age"];
const yamlExt = (name: string) => YAML_EXT.find((ext) => name.endsWith(ext));
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const fileError = (file: string, problem: string) => new InventoryError({ file, line: 0, column: 0 }, problem);

/**
 * Reads a vars file (a map of variables, or nothing). Relative paths in it start at baseDir, which for
 * group_vars and host_vars is the inventory's directory, so one path means the same file wherever it is set.
 */
export async function readVarsFile(
  file: string,
  opts: { level: VarLevel; group?: string; env: NodeJS.ProcessEnv; baseDir: string },
): Promise<VarSet> {
  if (file.endsWith(ENCRYPTED_EXT)) return readEncryptedVarsFile(file, opts);
  const src = await readYamlFile(file, opts.env, opts.baseDir);
  return readVarsNode(src, src.doc.contents, "", opts.level, opts.group);
}

/** The files of each name in a group_vars or host_vars folder: `name.yml` or `.yaml`, then `name/*.yml` in name order. */
async function filesByName(dir: string, kind: VarsDirKind): Promise<Map<string, string[]>> {
  // Single files first, then folder contents, whatever order their names sort in.
  const singles = new Map<string, string[]>();
  const inFolders = new Map<string, string[]>();
  const add = (to: Map<string, string[]>, name: string, ...files: string[]) =>
    to.set(name, [...(to.get(name) ?? []), ...files]);
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw fileError(dir, `cannot read the ${kind} folder (${(e as NodeJS.ErrnoException).code})`);
  }
  // Not listing .yml.age: the message is for the usual typo, and an encrypted file is a plain name plus .age.
  const expected = `expected <name>.yml, <name>.yaml or a <name>/ folder of .yml files`;
  for (const entry of entries.filter((e) => !e.name.startsWith("."))) {
    const path = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path)).isDirectory());
    if (isDir) {
      const inner = (await readdir(path)).filter((f) => !f.startsWith(".")).sort(byName);
      for (const f of inner) {
        if (!yamlExt(f)) throw fileError(join(path, f), `not a .yml or .yaml file (${expected})`);
        add(inFolders, entry.name, join(path, f));
      }
    } else if (yamlExt(entry.name)) {
      add(singles, entry.name.slice(0, -(yamlExt(entry.name) ?? "").length), path);
    } else {
      throw fileError(path, `not a .yml or .yaml file (${expected})`);
    }
  }
  for (const [name, files] of inFolders) add(singles, name, ...files);
  return singles;
}

/**
 * Variables from `<inventory dir>/group_vars` or `host_vars`, by group or host name. A file for a name the
 * inventory does not define is an error: it is almost always a typo, and ignoring it would silently drop
 * settings.
 */
export async function readVarsDir(
  inventoryDir: string,
  kind: VarsDirKind,
  known: ReadonlySet<string>,
  env: NodeJS.ProcessEnv,
  onFile: (file: string) => void,
): Promise<Map<string, VarSet>> {
  const dir = join(inventoryDir, kind);
  const result = new Map<string, VarSet>();
  const what = kind === "group_vars" ? "group" : "host";
  for (const [name, files] of await filesByName(dir, kind)) {
    if (!known.has(name)) {
      const shown = [...known].slice(0, 12).join(", ") + (known.size > 12 ? ", ..." : "");
      throw fileError(files[0] ?? join(dir, name), `unknown ${what} '${name}' (the inventory defines: ${shown})`);
    }
    const vars: VarSet = new Map();
    for (const file of files) {
      onFile(file);
      const level = kind === "group_vars" ? "group" : "host";
      mergeVars(vars, await readVarsFile(file, { level, env, baseDir: inventoryDir, ...(level === "group" && { group: name }) }));
    }
    result.set(name, vars);
  }
  return result;
}
