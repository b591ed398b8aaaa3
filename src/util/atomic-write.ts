// Replacing a file in one step: the new bytes go to a temp file beside the target (same
// directory, so same file system, so rename(2) is atomic) and are renamed over it, so a reader, a
// parallel run or a crash only ever leaves the whole old or the whole new file. The agent's esbuild
// bundle imports this file: it imports nothing of the project, only node:.
//
// Two steps when the caller must look at the new file before it replaces the old one (the agent
// has BIRD check a staged peers.conf): stageFile() writes the temp file, commit() renames it.
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /**
   * Permission bits of the new file. The temp file is created with them (so it is never wider
   * than asked, not even for a moment) and set again with fchmod, because the umask may have
   * narrowed them. Unset: 0o666 less the umask, as writeFileSync() would make it.
   */
  mode?: number;
  /** Owner and group of the new file (fchown: the caller passes it only where it may chown, i.e. as root). */
  owner?: { uid: number; gid: number };
  /**
   * fsync the data before the rename, so a power loss cannot leave the new name on an empty
   * file. The directory is not synced here: see syncDir (a caller writing several files syncs each
   * directory once).
   */
  fsync?: boolean;
}

/** A new file written beside its target and not yet in place. */
export interface StagedFile {
  /** The target. */
  readonly path: string;
  /** The temp file holding the new bytes (a dot file in the target's directory). */
  readonly temp: string;
  /** Renames the temp file over the target. On failure the temp file is removed. */
  commit(): void;
  /** Removes the temp file; the target is left as it was. */
  discard(): void;
}

/**
 * `.<name>.bgpmesh-tmp-<pid>-<hex>`: a dot file, which neither a `*.conf` include (BIRD) nor a
 * reader that opens names it knows (tinc's hosts/<name>) ever reads. `[1]` is the target's name.
 */
export const TEMP_FILE = /^\.(.+)\.bgpmesh-tmp-[0-9]+-[0-9a-f]+$/;

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.bgpmesh-tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already renamed or never created
  }
}

/** Writes `data` to a temp file beside `path` (see AtomicWriteOptions); nothing replaces `path` yet. */
export function stageFile(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): StagedFile {
  const temp = tempNameFor(path);
  const mode = opts.mode ?? 0o666;
  // "wx" (O_CREAT|O_EXCL): the temp name must not exist, so a symlink planted there is never followed.
  const fd = openSync(temp, "wx", mode);
  try {
    try {
      // Owner first: chown may clear set-id bits that the fchmod then sets.
      if (opts.owner) fchownSync(fd, opts.owner.uid, opts.owner.gid);
      if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      if (opts.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    removeQuietly(temp);
    throw e;
  }
  return {
    path,
    temp,
    commit() {
      try {
        renameSync(temp, path);
      } catch (e) {
        removeQuietly(temp);
        throw e;
      }
    },
    discard() {
      removeQuietly(temp);
    },
  };
}

/** Replaces `path` with `data` in one step; on failure the old file is untouched and no temp file stays. */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  stageFile(path, data, opts).commit();
}

/** fsync a directory so a rename or unlink in it survives a power loss; best effort. */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}
