import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isScalar } from "yaml";
import { InventoryError } from "./errors.js";
import type { VarSet } from "./model.js";
import { checkVarName, checkVarValue, mergeVars, readVarsNode } from "./vars.js";
import { parseYaml } from "./yaml-source.js";

export interface ExtraVarsOptions {
  /** Where relative paths in `key=value` arguments start; default the current directory. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Variables from -e arguments, later arguments replacing earlier ones:
 *   key=value       value read as a YAML scalar (port=2222 is a number, become=true a boolean);
 *                   a value that YAML would read as a list or map stays text
 *   @vars.yml       a YAML file of variables; relative paths in it start at the file's directory
 *   {key: value}    a YAML flow map, as ansible-playbook also accepts
 * The secret tags work in all three, e.g. -e 'db_password=!env DB_PASSWORD'.
 */
export function parseExtraVars(args: readonly string[], opts: ExtraVarsOptions = {}): VarSet {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const vars: VarSet = new Map();
  args.forEach((arg, i) => {
    // Named by position, never by content: the argument may carry a secret.
    const label = `command line -e #${i + 1}`;
    if (arg.startsWith("@")) {
      const file = arg.slice(1);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new InventoryError({ file, line: 0, column: 0 }, code === "ENOENT" ? "no such file (-e @file)" : `cannot read (${code})`);
      }
      const src = parseYaml(text, file, { baseDir: dirname(file), env });
      mergeVars(vars, readVarsNode(src, src.doc.contents, "", "extra"));
    } else if (arg.trimStart().startsWith("{")) {
      const src = parseYaml(arg, label, { baseDir: cwd, env });
      mergeVars(vars, readVarsNode(src, src.doc.contents, "", "extra"));
    } else {
      const eq = arg.indexOf("=");
      const at = { file: label, line: 0, column: 0 };
      if (eq <= 0) throw new InventoryError(at, "expected key=value, @file.yml or a {key: value} map");
      const name = arg.slice(0, eq);
      const text = arg.slice(eq + 1);
      checkVarName(name, { ...at, key: name });
      // A scalar only: "motd=Note: be kind" is text, not a map. An empty value is the empty string, as in
      // Ansible, not YAML's null.
      const node = parseYaml(text, label, { baseDir: cwd, env }).doc.contents;
      const raw = text === "" || !isScalar(node) ? text : node.value;
      const value = checkVarValue(name, raw, { ...at, key: name, baseDir: cwd });
      vars.set(name, { value, origin: { ...at, level: "extra" } });
    }
  });
  return vars;
}
