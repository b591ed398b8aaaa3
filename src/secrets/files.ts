import { existsSync, statSync } from "node:fs";
import { chmod, mkdtemp, rename, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/** A file's permission bits, or undefined if it does not exist. */
export function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/**
 * Replaces `path` with `text` in one step (a temporary file beside it, then rename), so an interrupted
 * write leaves the old file whole. `mode` is set explicitly because the umask would trim it.
 */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(tmp, text, { flag: "wx", mode: mode ?? 0o666 });
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * A new folder only the user can enter (mkdtemp makes it 0700) for decrypted text, in RAM when the
 * machine has /dev/shm, so the plaintext does not reach a disk (unless the machine swaps).
 */
export async function plaintextDir(): Promise<string> {
  const base = existsSync("/dev/shm") && statSync("/dev/shm").isDirectory() ? "/dev/shm" : tmpdir();
  try {
    return await mkdtemp(join(base, "bgpmesh-secrets-"));
  } catch {
    return await mkdtemp(join(tmpdir(), "bgpmesh-secrets-"));
  }
}
