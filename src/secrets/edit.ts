// `secrets edit`: the decrypted text goes to a private temporary file for the user's editor and
// is removed again, whatever happens, unless the edited text is invalid: then it is kept so the
// work is not lost, and the user is told where.
import { spawn } from "node:child_process";
import { accessSync, constants, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, delimiter, join } from "node:path";
import { ENCRYPTED_EXT } from "./age.js";
import { plaintextDir } from "./files.js";
import { KEY_ENV, NEW_KEY_ENV } from "./key.js";

/** A problem the user must act on; the message says what happened to the files. */
export class SecretsCommandError extends Error {
  override name = "SecretsCommandError";
}

/** The editor command: $VISUAL, $EDITOR, Debian's `editor` alternative, then vi (as git and crontab do). */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  for (const name of ["VISUAL", "EDITOR"]) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  const onPath = (env["PATH"] ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, "editor"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return onPath ? "editor" : "vi";
}

function runEditor(command: string, file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // Through the shell, so EDITOR="code --wait" works as it does for git.
    // The editor and its plugins have no use for the key itself.
    const { [KEY_ENV]: _key, [NEW_KEY_ENV]: _newKey, ...editorEnv } = env;
    const child = spawn("/bin/sh", ["-c", `${command} "$1"`, "sh", file], { stdio: "inherit", env: editorEnv });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export interface EditOptions {
  /** The encrypted file being edited, for messages. */
  target: string;
  env: NodeJS.ProcessEnv;
  /** Throws (with a message for the user) if the edited text may not be encrypted. */
  validate: (text: string) => void;
}

/**
 * The text after the user edited `initial`, or undefined if they changed nothing. The temporary copy
 * is gone when this returns, and when it throws unless the text failed `validate` (the message says
 * where it is kept).
 */
export async function editText(initial: string, opts: EditOptions): Promise<string | undefined> {
  const dir = await plaintextDir();
  const file = join(dir, basename(opts.target, ENCRYPTED_EXT) || "secrets.yml");
  let keep = false;
  const cleanup = () => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C belongs to the editor; a hang-up or kill must not leave plaintext behind.
  const ignore = () => undefined;
  const bail = (signal: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (signal === "SIGHUP" ? 1 : 15));
  };
  process.on("SIGINT", ignore);
  process.on("SIGHUP", bail);
  process.on("SIGTERM", bail);
  try {
    await writeFile(file, initial, { flag: "wx", mode: 0o600 });
    const editor = editorCommand(opts.env);
    const status = await runEditor(editor, file, opts.env);
    if (status !== 0) throw new SecretsCommandError(`the editor (${editor}) exited with status ${status}: ${opts.target} is unchanged`);
    const text = await readFile(file, "utf8");
    if (text === initial) return undefined;
    try {
      opts.validate(text);
    } catch (e) {
      keep = true;
      throw new SecretsCommandError(
        `${(e as Error).message}\n${opts.target} is unchanged. Your edited text is kept in ${file} (only you can read it): ` +
          `copy what you need into another \`secrets edit\`, then remove it: rm -r ${dir}`,
      );
    }
    return text;
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGHUP", bail);
    process.off("SIGTERM", bail);
    cleanup();
  }
}
