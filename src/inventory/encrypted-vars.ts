// Encrypted vars files (group_vars/…/*.yml.age): decrypted in memory only, read as any vars file, and
// every value in them becomes a Secret, so masking, redaction and "secret" plan entries all apply.
// Part of the inventory (it reads vars files); src/secrets/ holds the encryption and the key, and
// imports nothing of the inventory.
import { readFile } from "node:fs/promises";
import { isMap, parseDocument, visit } from "yaml";
import { decryptText, DecryptError, ENCRYPTED_EXT } from "../secrets/age.js";
import { NO_KEY_HINT, secretsKey, SecretsKeyError } from "../secrets/key.js";
import { CONNECTION_VARS } from "./connection.js";
import { InventoryError } from "./errors.js";
import type { VarLevel, VarSet } from "./model.js";
import { Redactor, Secret } from "./secret.js";
import { readVarsNode } from "./vars.js";
import { errorAt, keyName, parseYaml, type YamlSource } from "./yaml-source.js";

export interface SecretVarsOptions {
  level: VarLevel;
  group?: string;
  env: NodeJS.ProcessEnv;
  /** Where relative `!file` paths start. */
  baseDir: string;
}

const fileError = (file: string, problem: string) => new InventoryError({ file, line: 0, column: 0 }, problem);

/**
 * The variables in an encrypted vars file, decrypted with the key from secretsKey(). Errors name the
 * encrypted file, and a line in the decrypted text, never the key or a value.
 */
export async function readEncryptedVarsFile(file: string, opts: SecretVarsOptions): Promise<VarSet> {
  let key;
  try {
    key = secretsKey(opts.env);
  } catch (e) {
    if (e instanceof SecretsKeyError) throw fileError(file, `encrypted, and its key cannot be read: ${e.message}`);
    throw e;
  }
  if (!key) throw fileError(file, `encrypted, and no key is given: ${NO_KEY_HINT}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fileError(file, code === "EISDIR" ? "is a directory, not a file" : `cannot read (${code})`);
  }
  let text: string;
  try {
    text = await decryptText(bytes, key.value);
  } catch (e) {
    if (e instanceof DecryptError) throw fileError(file, `cannot decrypt with the key from ${key.from}: ${e.message}`);
    throw e;
  }
  return parseSecretVars(text, file, opts);
}

/** Decrypted vars text as a VarSet of Secrets; also checks text about to be encrypted. */
export function parseSecretVars(text: string, file: string, opts: SecretVarsOptions): VarSet {
  try {
    const src = parseYaml(text, file, { baseDir: opts.baseDir, env: opts.env });
    // Wrapped in the document, before any check runs, so no check can quote a value in its message.
    const source = `encrypted ${file}`;
    visit(src.doc, {
      Scalar(key, node) {
        if (key === "key") return;
        if (typeof node.value === "string") node.value = new Secret(node.value, source);
        // A number as written: a PIN 0123 is not the octal 83, and a long token not a rounded float.
        else if (typeof node.value === "number") node.value = new Secret(node.source ?? String(node.value), source);
      },
    });
    rejectConnectionVars(src);
    return readVarsNode(src, src.doc.contents, "", opts.level, opts.group);
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e;
    const problem = scrubValues(e.problem, text) + (e.line > 0 && file.endsWith(ENCRYPTED_EXT) ? " (line in the decrypted text)" : "");
    throw new InventoryError({ file: e.file, line: e.line, column: e.column, key: e.key, host: e.host }, problem);
  }
}

// The tool needs these as plain values to connect, and a host address or a port is no secret.
function rejectConnectionVars(src: YamlSource): void {
  const root = src.doc.contents;
  if (!isMap(root)) return;
  for (const pair of root.items) {
    const name = keyName(src, pair.key, "");
    if (Object.hasOwn(CONNECTION_VARS, name)) {
      throw errorAt(src, pair.key, "connection variables cannot be in an encrypted file: the tool needs their plain value to connect; set it in a plain vars file", name);
    }
  }
}

/**
 * A problem found in decrypted text, with anything that could be a value taken out: the YAML parser
 * quotes source text in a few messages, and every value in this text is a secret.
 */
function scrubValues(problem: string, text: string): string {
  const values: Secret[] = [];
  visit(parseDocument(text, { version: "1.1" }), {
    Scalar(key, node) {
      const v = node.value;
      if (key !== "key" && (typeof v === "string" || typeof v === "number")) values.push(new Secret(node.source ?? String(v), ""));
    },
  });
  return new Redactor(values)
    .redact(problem)
    .replace(/(Invalid escape sequence|includes extra characters:) \S+/g, "$1 (not shown)");
}
