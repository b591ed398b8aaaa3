import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { encryptText } from "../../../src/secrets/age.js";
import { writeTree } from "../inventory/helpers.js";

export { inventoryError, writeTree } from "../inventory/helpers.js";

/** Test keys: random-looking, and each distinct, so a test that mixes them up fails. */
export const KEY = "k3y-for-unit-tests-Zm9vYmFyYmF6";

/**
 * For a describe of tests that encrypt or decrypt: each age operation runs scrypt (0.2 s of CPU
 * here), a test doing several takes about 2 s alone, and over 5 s (vitest's default) on a 2-core
 * machine running the other unit files beside it (a CI run failed so).
 */
export const AGE_TESTS = { timeout: 30_000 };
export const OTHER_KEY = "an0ther-key-for-unit-tests-cXV4";

/** Writes an encrypted file (path relative to dir) holding `plain`. */
export async function writeEncrypted(dir: string, path: string, plain: string, key = KEY): Promise<string> {
  const full = join(dir, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, await encryptText(plain, key));
  return full;
}

/** A key file with the given mode (0600 unless said otherwise). */
export async function writeKeyFile(dir: string, key = KEY, mode = 0o600, name = "secrets-key"): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${key}\n`, { mode });
  await chmod(file, mode);
  return file;
}

/** An inventory with node1 and node2 in mesh, and optional files beside it. */
export async function meshInventory(files: Record<string, string> = {}): Promise<string> {
  return writeTree({
    "inventory.yml": "all:\n  vars:\n    level: inline-all\n  children:\n    mesh:\n      hosts:\n        node1:\n        node2:\n",
    ...files,
  });
}
