// Puts the desired files on disk, touching only what differs. tinc 1.0, on a reload, drops the
// connection of every peer whose host file is newer than its last reload, so a file whose bytes
// did not change must not be written at all (its mtime must stay): each file is read and compared
// first. A changed file is written to a temp file in its own directory, synced and renamed over
// the old one, so tinc and BIRD only ever read a whole old or a whole new file, also after a crash.
// Synchronous on purpose: one reconcile writes a handful of small files, and no other reconcile
// may interleave with it.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import type { Stats } from "node:fs";
import { posix } from "node:path";
import { stageFile, syncDir, TEMP_FILE, type StagedFile } from "../util/atomic-write.js";

export interface WriteOptions {
  /** Prefix of every path on disk (a temp directory in tests); paths in results never include it. */
  root?: string;
  /** Whether the agent may write or delete this path (see isAgentOwned); others are refused or left alone. */
  owned: (path: string) => boolean;
  /** Directories whose owned files that are not in `files` are removed (the host files of departed peers). */
  removeStale: readonly string[];
  /** Mode of a file created new (an existing file keeps its mode, owner and group). Default 0644. */
  mode?: number;
  /**
   * Files that always get this mode and the owner and group of their directory, also when their
   * bytes did not change: peers.conf holds the BGP password, which BIRD (the directory is its)
   * must read and other users must not.
   */
  enforcedMode?: (path: string) => number | undefined;
}

export interface WriteResult {
  /** Files written because their bytes differed or they did not exist, in write order. */
  changed: string[];
  /** Owned files removed from the `removeStale` directories, sorted. */
  removed: string[];
  /** Temp files of an earlier, interrupted write that were cleaned up. */
  cleaned: string[];
  /** Unchanged files whose enforced mode, owner or group was set right in place (no reload needed). */
  fixed: string[];
  /**
   * Files that could not be written or removed. The others were still done, and are in
   * `changed`/`removed`: the caller must reload for those even when something failed, or the
   * next reconcile would find nothing changed and never reload.
   */
  failed: { path: string; error: string }[];
}

/** Absolute and normalised: no "..", no "//", no trailing slash. */
function isCleanAbsolute(path: string): boolean {
  return path.startsWith("/") && path.length > 1 && posix.normalize(path) === path && !path.endsWith("/");
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.syscall ?? "fs"}` : String(err.message ?? e);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === "ENOENT";
}

interface Enforced {
  mode: number;
  uid: number;
  gid: number;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * The new file beside the target, synced, with its final mode and owner from the start; not yet
 * renamed into place.
 */
function stage(onDisk: string, data: Buffer, existing: Stats | undefined, mode: number | Enforced): StagedFile {
  const enforced = typeof mode === "number" ? undefined : mode;
  // An enforced mode applies from the start: the password is never readable by others, not even
  // for a moment. An existing file keeps what it had (e.g. bird:bird 0640).
  const newMode = enforced ? enforced.mode : existing ? existing.mode & 0o7777 : (mode as number);
  const owner = !isRoot() ? undefined : enforced ? { uid: enforced.uid, gid: enforced.gid } : existing ? { uid: existing.uid, gid: existing.gid } : undefined;
  return stageFile(onDisk, data, { mode: newMode, ...(owner && { owner }), fsync: true });
}

/** Sets an unchanged file's mode and owner in place; true when something had to change. */
function fixInPlace(onDisk: string, want: Enforced): boolean {
  // O_NOFOLLOW: never chmod or chown whatever a symlink put here points to.
  const fd = openSync(onDisk, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    let fixed = false;
    if ((st.mode & 0o7777) !== want.mode) {
      fchmodSync(fd, want.mode);
      fixed = true;
    }
    if (isRoot() && (st.uid !== want.uid || st.gid !== want.gid)) {
      fchownSync(fd, want.uid, want.gid);
      fixed = true;
    }
    return fixed;
  } finally {
    closeSync(fd);
  }
}

/** What stageChanged() found for one file. */
export type StageOutcome =
  | { kind: "failed"; error: string }
  /** The bytes on disk are these already; `fixed`: its enforced mode or owner had to be set right. */
  | { kind: "unchanged"; fixed: boolean }
  /** The new bytes are in a temp file beside the target (mode and owner set, synced), not yet renamed. */
  | { kind: "staged"; staged: StagedFile };

/**
 * One file of writeChanged(), up to and not including the rename: the caller can have the staged
 * bytes checked (BIRD's peers.conf) and commit() or discard() them.
 */
export function stageChanged(path: string, content: string, opts: Pick<WriteOptions, "root" | "owned" | "mode" | "enforcedMode">): StageOutcome {
  if (!isCleanAbsolute(path)) return { kind: "failed", error: "not a normalised absolute path" };
  if (!opts.owned(path)) return { kind: "failed", error: "not a file the agent owns" };
  const target = posix.join(opts.root ?? "/", path);
  const data = Buffer.from(content, "utf8");
  try {
    const enforcedMode = opts.enforcedMode?.(path);
    let enforced: Enforced | undefined;
    if (enforcedMode !== undefined) {
      const dir = statSync(posix.dirname(target));
      enforced = { mode: enforcedMode, uid: dir.uid, gid: dir.gid };
    }
    let existing: Stats | undefined;
    let current: Buffer | undefined;
    try {
      // A symlink in place of an enforced file is replaced, never read through.
      if (!enforced || lstatSync(target).isFile()) {
        current = readFileSync(target);
        existing = statSync(target);
      }
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    if (current !== undefined && current.equals(data)) {
      // Unchanged: keep its mtime.
      return { kind: "unchanged", fixed: enforced !== undefined && fixInPlace(target, enforced) };
    }
    return { kind: "staged", staged: stage(target, data, existing, enforced ?? opts.mode ?? 0o644) };
  } catch (e) {
    return { kind: "failed", error: errorText(e) };
  }
}

export function writeChanged(files: ReadonlyMap<string, string>, opts: WriteOptions): WriteResult {
  const root = opts.root ?? "/";
  const onDisk = (path: string) => posix.join(root, path);
  const result: WriteResult = { changed: [], removed: [], cleaned: [], fixed: [], failed: [] };
  const dirsTouched = new Set<string>();

  // In the caller's order: desiredState() puts host files before the tinc.conf that names them.
  for (const [path, content] of files) {
    const outcome = stageChanged(path, content, opts);
    if (outcome.kind === "failed") result.failed.push({ path, error: outcome.error });
    else if (outcome.kind === "unchanged") {
      if (outcome.fixed) result.fixed.push(path);
    } else {
      try {
        outcome.staged.commit();
        dirsTouched.add(posix.dirname(onDisk(path)));
        result.changed.push(path);
      } catch (e) {
        result.failed.push({ path, error: errorText(e) });
      }
    }
  }

  for (const dir of opts.removeStale) {
    let entries;
    try {
      entries = readdirSync(onDisk(dir), { withFileTypes: true });
    } catch (e) {
      if (!isMissing(e)) result.failed.push({ path: dir, error: errorText(e) });
      continue;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      // Only plain files: a symlink or directory an admin put there is not the agent's.
      if (!entry.isFile()) continue;
      const path = posix.join(dir, entry.name);
      const temp = TEMP_FILE.exec(entry.name);
      const stale = temp ? opts.owned(posix.join(dir, temp[1]!)) : opts.owned(path) && !files.has(path);
      if (!stale) continue;
      try {
        unlinkSync(onDisk(path));
        dirsTouched.add(onDisk(dir));
        (temp ? result.cleaned : result.removed).push(path);
      } catch (e) {
        if (!isMissing(e)) result.failed.push({ path, error: errorText(e) });
      }
    }
  }

  for (const dir of dirsTouched) syncDir(dir);
  return result;
}
