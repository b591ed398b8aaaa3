// file: a file's exact bytes, owner, group and mode. Written through a temp file beside it,
// validated, then renamed over it, so a reader (or a run killed half-way) never sees half a file.
// Role files declare it as `template:` or `copy:` (file-forms.ts).
import { createTwoFilesPatch } from "diff";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import { contentSha256, fileBytes, isText } from "./content.js";
import type { ResourceKind } from "./kind.js";
import { metadataChanges } from "./metadata.js";
import { DIFF_LIMIT, PATH_FLUSH, PATH_FUNCTIONS, probePathLine, readPath, stablePath, type PathState } from "./path-probe.js";

export type FileResource = ResourceBase & {
  kind: "file";
  path: string;
  /** the final bytes, as UTF-8 text or base64 when `binary` */
  content: string;
  binary?: boolean;
  owner: string;
  group: string;
  /** octal, four digits, e.g. "0644" */
  mode: string;
  /** shell command run on the staged temp file before it replaces `path`; `%s` is its path */
  validate?: string;
  /**
   * false: write the file only when it does not exist (Ansible's `force: no`); its content is then
   * someone else's, never compared or rewritten (owner and mode still are)
   */
  force?: boolean;
  notify: string[];
  /** true when the content holds a secret value: its text is never shown */
  secret: boolean;
  /** "template:demo/demo.conf.njk" or "content" */
  source: string;
};

const EOF_MARK = "@@BGPMESH_CONTENT_EOF";

export const fileKind: ResourceKind<FileResource, PathState> = {
  kind: "file",
  probeFunctions: PATH_FUNCTIONS,
  probeFlush: PATH_FLUSH,
  probe: (r, i) => probePathLine(i, r.path, r.force === false ? "-" : contentSha256(r)),
  read: readPath,
  stable: stablePath,
  plan(r, st) {
    const target = `file ${r.path}`;
    // A failed write step changes nothing: it fails before its rename.
    if (st.type === "missing") {
      const bytes = fileBytes(r);
      return [{ target, change: "create", detail: `${r.owner}:${r.group} ${r.mode}`, diff: diffOf(r, undefined, bytes), notify: r.notify, script: writeFileScript(r, bytes), atomic: true }];
    }
    if (st.type !== "file") {
      throw new Error(`${r.path} exists but is a ${st.type === "other" ? st.what : st.type}, not a regular file (${r.origin.where})`);
    }
    if (r.force !== false && st.sha256 !== contentSha256(r)) {
      const bytes = fileBytes(r);
      const old = st.content === undefined ? undefined : Buffer.from(st.content, "base64");
      return [{ target, change: "update", diff: diffOf(r, old ?? null, bytes), notify: r.notify, script: writeFileScript(r, bytes), atomic: true }];
    }
    const meta = metadataChanges(r.path, r, st);
    return meta ? [{ target, change: "set", detail: meta.detail, notify: r.notify, script: meta.script, atomic: true }] : [];
  },
  effects: (r, steps) => ({ writes: steps.some((s) => s.change === "create" || s.change === "update") ? [r.path] : [] }),
  path: (r) => r.path,
};

/**
 * A unified diff of the file's text, or a note saying why there is none. `old` is undefined for
 * a new file and null when the current content was too large to fetch.
 */
function diffOf(r: FileResource, old: Buffer | null | undefined, bytes: Buffer): string {
  if (r.secret) return "(content holds secret values: not shown)";
  if (!isText(bytes) || (old && !isText(old))) return "(binary content: not shown)";
  if (old === null) return `(current file is larger than ${DIFF_LIMIT / 1024} KiB: not shown)`;
  const before = old ? old.toString("utf8") : "";
  const patch = createTwoFilesPatch(old ? r.path : "/dev/null", r.path, before, bytes.toString("utf8"), "", "", { context: 3 });
  // Drop the "Index:" and "====" banner lines the diff package puts before the usual header.
  return patch.slice(patch.indexOf("--- "));
}

/**
 * Writes the content to a temp file beside the target, gives it its owner and mode, validates
 * it, then renames it over the target: a reader (or a run killed half-way) never sees half a file.
 */
export function writeFileScript(r: Pick<FileResource, "path" | "owner" | "group" | "mode" | "validate">, bytes: Buffer): string {
  const slash = r.path.lastIndexOf("/");
  const dir = r.path.slice(0, slash) || "/";
  const prefix = `${dir === "/" ? "" : dir}/.${r.path.slice(slash + 1)}.bgpmesh-`;
  const lines = [
    `rm -f ${shellQuote(prefix)}*`, // what an interrupted run left
    `tmp=$(mktemp ${shellQuote(prefix + "XXXXXX")})`,
    `base64 -d > "$tmp" <<'${EOF_MARK}'`,
    ...(bytes.toString("base64").match(/.{1,76}/g) ?? []),
    EOF_MARK,
    `chown ${shellQuote(`${r.owner}:${r.group}`)} "$tmp" && chmod ${r.mode} "$tmp" || { rm -f "$tmp"; exit 1; }`,
  ];
  if (r.validate) {
    const cmd = r.validate.replaceAll("%s", `"$tmp"`);
    lines.push(`if ! ( ${cmd} ) >&2; then rm -f "$tmp"; echo ${shellQuote(`validation failed: ${r.validate}`)} >&2; exit 1; fi`);
  }
  lines.push(`mv -f "$tmp" ${shellQuote(r.path)}`);
  return lines.join("\n");
}

/** The folder part of an absolute path ("/" for a file at the root). */
export const dirOf = (path: string): string => path.slice(0, path.lastIndexOf("/")) || "/";

/** A root-owned 0644 file that another kind writes (a certificate, a sysctl boot file), its folder made first. */
export function writeRootFileScript(path: string, bytes: Buffer): string {
  return [`mkdir -p ${shellQuote(dirOf(path))}`, writeFileScript({ path, owner: "root", group: "root", mode: "0644" }, bytes)].join("\n");
}
