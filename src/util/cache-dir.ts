// The controller's cache: what a run can keep for the next one, found again by the digest of all it
// was made from, so a stale entry is never used, only never read again. Losing it costs time only;
// nothing in it is a secret (the callers keep secrets out).
import { lstatSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The cache folder: `$BGPMESH_CACHE_DIR`, else `$XDG_CACHE_HOME/bgpmesh-provision`, else
 * `~/.cache/bgpmesh-provision`. `BGPMESH_CACHE_DIR=off` (or empty) turns the cache off. Undefined
 * when it is off, or when the folder cannot be made or is not this user's alone (owned by another
 * user, writable by group or others, or a symbolic link): what is read from it may be run as code.
 */
export function controllerCacheDir(sub: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.BGPMESH_CACHE_DIR;
  if (set !== undefined && (set === "" || set === "off")) return undefined;
  try {
    // homedir() throws where the user has no home at all: then there is no cache, as when it is off.
    const base = set ?? join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "bgpmesh-provision");
    const dir = join(base, sub);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of [base, dir]) {
      const st = lstatSync(d);
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}
