import { mkdirSync } from "node:fs";
import { join } from "node:path";
import lockfile from "proper-lockfile";

/**
 * Runs `fn` while holding an exclusive lock on `dir`. A holder that dies leaves a stale lock that
 * the next caller takes over after `staleMs`, so a killed session never wedges the next one.
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>, waitMs = 15 * 60_000, lockfilePath = join(dir, ".lock")): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    lockfilePath,
    realpath: false,
    stale: 20_000,
    update: 5_000,
    retries: { retries: Math.ceil(waitMs / 1000), factor: 1, minTimeout: 1000, maxTimeout: 1000 },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
