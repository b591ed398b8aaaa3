import { dirname } from "node:path";
import type { Inventory, VarSet } from "./model.js";
import { readStructure } from "./structure.js";
import { readVarsDir } from "./vars-dirs.js";
import { mergeVars, toVarSet } from "./vars.js";
import { readYamlFile } from "./yaml-source.js";

export interface LoadOptions {
  /** -e variables, highest precedence: from parseExtraVars(), or a plain object from code. */
  extraVars?: VarSet | Record<string, unknown>;
  /** Where `!env` looks; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads an Ansible-style YAML inventory with the group_vars/ and host_vars/ folders beside it. The first
 * problem found stops loading with an InventoryError naming its file and line; nothing is half-loaded.
 * `!env` and `!file` secrets are read now, so a missing one fails here rather than halfway through a run.
 */
export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  const env = opts.env ?? process.env;
  const dir = dirname(path);
  const src = await readYamlFile(path, env, dir);
  const { groups, hosts } = readStructure(src);
  const sources = [path];
  const onFile = (file: string) => sources.push(file);

  for (const [name, vars] of await readVarsDir(dir, "group_vars", new Set(groups.keys()), env, onFile)) {
    const g = groups.get(name);
    if (g) mergeVars(g.vars, vars);
  }
  for (const [name, vars] of await readVarsDir(dir, "host_vars", new Set(hosts.keys()), env, onFile)) {
    const h = hosts.get(name);
    if (h) mergeVars(h.vars, vars);
  }
  return { file: path, sources, groups, hosts, extraVars: toVarSet(opts.extraVars, "extra", "extra vars") };
}
