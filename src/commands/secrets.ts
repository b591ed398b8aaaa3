// `secrets`: create, view, edit, encrypt, decrypt and rekey encrypted vars files (*.yml.age), the
// ansible-vault habit. See docs/secrets.md.
import { Command, Option } from "commander";
import { existsSync } from "node:fs";
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { InventoryError, parseSecretVars } from "../inventory/index.js";
import { decryptText, DecryptError, ENCRYPTED_EXT, encryptText } from "../secrets/age.js";
import { editText, SecretsCommandError } from "../secrets/edit.js";
import { modeOf } from "../secrets/files.js";
import { NEW_KEY_ENV, newSecretsKey, NO_KEY_HINT, secretsKey, SecretsKeyError, type SecretsKey } from "../secrets/key.js";
import { writeFileAtomic } from "../util/atomic-write.js";

export interface SecretsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const processIo: SecretsIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  env: process.env,
};

const TEMPLATE = `# Encrypted vars (bgpmesh-provision secrets edit). Every value in this file is a secret: it is
# masked in output, plans and reports. Use the names in templates like any variable.
#
# bgp_password: a-long-random-string
`;

// Not secretsKeyFileOption(): that one sets the key for inventory loading process-wide, and these
// commands take their key explicitly.
const keyFileOption = () => new Option("--secrets-key-file <file>", "key file (default $BGPMESH_SECRETS_KEY_FILE or $BGPMESH_SECRETS_KEY)");

function requireKey(io: SecretsIo, keyFile: string | undefined): SecretsKey {
  const key = secretsKey(io.env, keyFile);
  if (!key) throw new SecretsCommandError(`no key: ${NO_KEY_HINT}`);
  return key;
}

function requireAgeName(file: string): void {
  if (!file.endsWith(ENCRYPTED_EXT)) {
    throw new SecretsCommandError(`${file}: an encrypted vars file is named like a plain one plus .age, e.g. group_vars/all/secrets.yml.age`);
  }
}

async function decryptFile(file: string, key: SecretsKey): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SecretsCommandError(`${file}: ${code === "ENOENT" ? "no such file" : `cannot read (${code})`}`);
  }
  try {
    return await decryptText(bytes, key.value);
  } catch (e) {
    if (e instanceof DecryptError) throw new SecretsCommandError(`${file}: cannot decrypt with the key from ${key.from}: ${e.message}`);
    throw e;
  }
}

/** The loader's own checks, so an encrypted file this command writes is one the inventory loads. */
function validator(file: string, env: NodeJS.ProcessEnv): (text: string) => void {
  // Relative !file paths in group_vars start at the inventory's folder, the one above group_vars/.
  const parts = dirname(file).split("/");
  const at = parts.findLastIndex((p) => p === "group_vars" || p === "host_vars");
  const baseDir = at >= 0 ? parts.slice(0, at).join("/") || "." : dirname(file);
  return (text) => void parseSecretVars(text, file, { level: "group", env, baseDir });
}

async function create(file: string, opts: { stdin?: boolean; secretsKeyFile?: string }, io: SecretsIo): Promise<void> {
  requireAgeName(file);
  if (existsSync(file)) throw new SecretsCommandError(`${file} exists: use \`secrets edit ${file}\``);
  const key = requireKey(io, opts.secretsKeyFile);
  const validate = validator(file, io.env);
  let text: string;
  if (opts.stdin) {
    text = await io.stdin();
    validate(text);
  } else {
    text = (await editText(TEMPLATE, { target: file, env: io.env, validate })) ?? TEMPLATE;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, await encryptText(text, key.value), { flag: "wx" });
  io.stderr(`created ${file} (encrypted with the key from ${key.from})\n`);
}

async function edit(file: string, opts: { secretsKeyFile?: string }, io: SecretsIo): Promise<void> {
  const key = requireKey(io, opts.secretsKeyFile);
  const before = await decryptFile(file, key);
  const text = await editText(before, { target: file, env: io.env, validate: validator(file, io.env) });
  if (text === undefined) {
    // Not re-encrypted: a new salt and nonce would change every line of a file that did not change.
    io.stderr(`no changes: ${file} is unchanged\n`);
    return;
  }
  writeFileAtomic(file, await encryptText(text, key.value), { mode: modeOf(file) });
  io.stderr(`saved ${file} (encrypted with the key from ${key.from})\n`);
}

async function encrypt(file: string, opts: { removePlain?: boolean; secretsKeyFile?: string }, io: SecretsIo): Promise<void> {
  if (file.endsWith(ENCRYPTED_EXT)) throw new SecretsCommandError(`${file} already ends in .age: give the plain file`);
  const out = `${file}${ENCRYPTED_EXT}`;
  if (existsSync(out)) throw new SecretsCommandError(`${out} exists: use \`secrets edit ${out}\``);
  const key = requireKey(io, opts.secretsKeyFile);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new SecretsCommandError(`${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot read"}`);
  }
  validator(file, io.env)(text);
  await writeFile(out, await encryptText(text, key.value), { flag: "wx" });
  if (opts.removePlain) {
    await unlink(file);
    io.stderr(`wrote ${out} and removed ${file} (if git tracked it, its text is still in the history)\n`);
  } else {
    io.stderr(`wrote ${out}; ${file} is still there in plain text: remove it (or use --remove-plain), or the inventory reads both\n`);
  }
}

async function decrypt(file: string, opts: { out: string; secretsKeyFile?: string }, io: SecretsIo): Promise<void> {
  if (existsSync(opts.out)) throw new SecretsCommandError(`${opts.out} exists: not overwritten`);
  const text = await decryptFile(file, requireKey(io, opts.secretsKeyFile));
  await writeFile(opts.out, text, { flag: "wx", mode: 0o600 });
  io.stderr(`wrote ${opts.out} in plain text (mode 0600): remove it when done\n`);
}

async function rekey(files: string[], opts: { newKeyFile?: string; secretsKeyFile?: string }, io: SecretsIo): Promise<void> {
  const key = requireKey(io, opts.secretsKeyFile);
  const next = newSecretsKey(io.env, opts.newKeyFile);
  if (!next) throw new SecretsCommandError(`no new key: set ${NEW_KEY_ENV} or --new-key-file`);
  if (next.value === key.value) throw new SecretsCommandError(`the new key (${next.from}) is the current one (${key.from})`);
  // Every file is decrypted before any is written, so a wrong key cannot leave a mix of old and new keys.
  const texts = await Promise.all(files.map((f) => decryptFile(f, key)));
  for (const [i, file] of files.entries()) writeFileAtomic(file, await encryptText(texts[i]!, next.value), { mode: modeOf(file) });
  io.stderr(`rekeyed ${files.length} file(s) to the key from ${next.from}: give that key to everything that reads them (CI, nodes that pull)\n`);
}

/** Runs a subcommand, turning the problems it expects into one line on stderr and exit code 1. */
function guarded<A extends unknown[]>(io: SecretsIo, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (e) {
      if (!(e instanceof SecretsCommandError || e instanceof SecretsKeyError || e instanceof InventoryError)) throw e;
      io.stderr(`${e.message}\n`);
      process.exitCode = 1;
    }
  };
}

export function secretsCommand(io: SecretsIo = processIo): Command {
  const cmd = new Command("secrets").description("create, view and edit encrypted vars files (group_vars/…/*.yml.age), like ansible-vault");
  cmd
    .command("create <file>")
    .description("a new encrypted vars file, written in your editor ($VISUAL, $EDITOR) or read from stdin")
    .option("--stdin", "read the plain YAML from stdin instead of opening an editor")
    .addOption(keyFileOption())
    .action(guarded(io, (file: string, opts: { stdin?: boolean; secretsKeyFile?: string }) => create(file, opts, io)));
  cmd
    .command("view <file>")
    .description("print the decrypted text (the one command that shows secret values)")
    .addOption(keyFileOption())
    .action(
      guarded(io, async (file: string, opts: { secretsKeyFile?: string }) => io.stdout(await decryptFile(file, requireKey(io, opts.secretsKeyFile)))),
    );
  cmd
    .command("edit <file>")
    .description("decrypt to a private temporary file, open your editor, check the YAML, encrypt again")
    .addOption(keyFileOption())
    .action(guarded(io, (file: string, opts: { secretsKeyFile?: string }) => edit(file, opts, io)));
  cmd
    .command("encrypt <file>")
    .description("encrypt a plain YAML vars file to FILE.age")
    .option("--remove-plain", "remove the plain file afterwards")
    .addOption(keyFileOption())
    .action(guarded(io, (file: string, opts: { removePlain?: boolean; secretsKeyFile?: string }) => encrypt(file, opts, io)));
  cmd
    .command("decrypt <file>")
    .description("write the decrypted text to a new file (mode 0600)")
    .requiredOption("--out <file>", "where to write the plain text")
    .addOption(keyFileOption())
    .action(guarded(io, (file: string, opts: { out: string; secretsKeyFile?: string }) => decrypt(file, opts, io)));
  cmd
    .command("rekey <files...>")
    .description(`encrypt files again with a new key ($${NEW_KEY_ENV} or --new-key-file)`)
    .option("--new-key-file <file>", "the new key")
    .addOption(keyFileOption())
    .action(guarded(io, (files: string[], opts: { newKeyFile?: string; secretsKeyFile?: string }) => rekey(files, opts, io)));
  return cmd;
}
