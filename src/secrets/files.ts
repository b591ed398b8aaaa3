import { existsSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A file's permission bits, or undefined if it does not exist (a rewrite of an encrypted file passes them on, so it keeps its mode). */
export function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
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
