// Where the passphrase of encrypted vars files comes from, as Ansible Vault's password does: the
// environment, a key file, or --secrets-key-file. Read lazily, so an inventory without encrypted
// files never needs a key.
import { readFileSync, statSync } from "node:fs";
import { Option } from "commander";
import { resolvePath } from "../util/paths.js";

export const KEY_ENV = "BGPMESH_SECRETS_KEY";
export const KEY_FILE_ENV = "BGPMESH_SECRETS_KEY_FILE";
export const NEW_KEY_ENV = "BGPMESH_SECRETS_NEW_KEY";

/** A key problem; the message names where the key was looked for, never the key. */
export class SecretsKeyError extends Error {
  override name = "SecretsKeyError";
}

export interface SecretsKey {
  value: string;
  /** Where it came from, for messages, e.g. "key file /root/.k (--secrets-key-file)". */
  from: string;
}

// Set by --secrets-key-file as commander parses it: every command that loads an inventory gets the
// flag without passing it through the engine, and the loader finds it here.
let flagKeyFile: string | undefined;

export function useSecretsKeyFile(path: string | undefined): void {
  flagKeyFile = path === undefined ? undefined : resolvePath(process.cwd(), path);
}

/** The --secrets-key-file option for a command that loads an inventory or handles encrypted files. */
export function secretsKeyFileOption(): Option {
  return new Option("--secrets-key-file <file>", `key for encrypted vars files (*.yml.age); default $${KEY_FILE_ENV} or $${KEY_ENV}`).argParser(
    (v: string) => {
      useSecretsKeyFile(v);
      return v;
    },
  );
}

/**
 * A key from a file: its first line without the line break. Like ssh with a private key, a file
 * that group or others may read is refused: the key opens every secret in the repository.
 */
export function readKeyFile(path: string, how: string): SecretsKey {
  const from = `key file ${path} (${how})`;
  let mode: number;
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new SecretsKeyError(`${from}: not a regular file`);
    mode = st.mode & 0o777;
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof SecretsKeyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecretsKeyError(`${from}: ${code === "ENOENT" ? "no such file" : `cannot read (${code ?? "unreadable"})`}`);
  }
  if (mode & 0o077) {
    const octal = mode.toString(8).padStart(4, "0");
    throw new SecretsKeyError(`${from}: permissions ${octal} are too open (group or others may use it): chmod 600 ${path}`);
  }
  const value = text.split(/\r?\n/, 1)[0] ?? "";
  if (value === "") throw new SecretsKeyError(`${from}: the first line is empty`);
  return { value, from };
}

function fromEnvValue(env: NodeJS.ProcessEnv, name: string): SecretsKey | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  if (value === "") throw new SecretsKeyError(`${name} is set but empty`);
  return { value, from: name };
}

/**
 * The key for encrypted vars files, or undefined when none is configured. --secrets-key-file (or
 * `keyFile`) beats the environment; setting both environment variables is refused rather than
 * guessed at, since the two could hold different keys.
 */
export function secretsKey(env: NodeJS.ProcessEnv = process.env, keyFile: string | undefined = flagKeyFile): SecretsKey | undefined {
  if (keyFile !== undefined) return readKeyFile(keyFile, "--secrets-key-file");
  const file = env[KEY_FILE_ENV];
  if (file !== undefined && env[KEY_ENV] !== undefined) {
    throw new SecretsKeyError(`both ${KEY_ENV} and ${KEY_FILE_ENV} are set: set only one`);
  }
  if (file !== undefined) {
    if (file === "") throw new SecretsKeyError(`${KEY_FILE_ENV} is set but empty`);
    return readKeyFile(resolvePath(process.cwd(), file), KEY_FILE_ENV);
  }
  return fromEnvValue(env, KEY_ENV);
}

/** The new key for `secrets rekey`: --new-key-file, else BGPMESH_SECRETS_NEW_KEY. */
export function newSecretsKey(env: NodeJS.ProcessEnv, keyFile: string | undefined): SecretsKey | undefined {
  if (keyFile !== undefined) return readKeyFile(resolvePath(process.cwd(), keyFile), "--new-key-file");
  return fromEnvValue(env, NEW_KEY_ENV);
}

export const NO_KEY_HINT = `set ${KEY_ENV} or ${KEY_FILE_ENV} (or --secrets-key-file)`;
