// directory: a folder with its owner, group and mode.
import { z } from "zod";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import type { ResourceKind, RoleForm, Str } from "./kind.js";
import { metadataChanges } from "./metadata.js";
import { PATH_FLUSH, PATH_FUNCTIONS, probePathLine, readPath, type PathState } from "./path-probe.js";
import { notify, ownership, text, when } from "./schema-parts.js";

export type DirectoryResource = ResourceBase & { kind: "directory"; path: string; owner: string; group: string; mode: string; notify: string[] };

export const directoryKind: ResourceKind<DirectoryResource, PathState> = {
  kind: "directory",
  probeFunctions: PATH_FUNCTIONS,
  probeFlush: PATH_FLUSH,
  probe: (r, i) => probePathLine(i, r.path, "-"),
  read: readPath,
  plan(r, st) {
    const target = `directory ${r.path}`;
    if (st.type === "missing") {
      return [
        {
          target,
          change: "create",
          detail: `${r.owner}:${r.group} ${r.mode}`,
          notify: r.notify,
          script: `mkdir -p ${shellQuote(r.path)} && chown ${shellQuote(`${r.owner}:${r.group}`)} ${shellQuote(r.path)} && chmod ${r.mode} ${shellQuote(r.path)}`,
        },
      ];
    }
    if (st.type !== "directory") {
      throw new Error(`${r.path} exists but is a ${st.type === "file" ? "regular file" : st.what}, not a directory (${r.origin.where})`);
    }
    const meta = metadataChanges(r.path, r, st);
    return meta ? [{ target, change: "set", detail: meta.detail, notify: r.notify, script: meta.script }] : [];
  },
  path: (r) => r.path,
  // Two roles may both need a folder: the same folder with the same settings is one resource.
  same: (a, b) => a.owner === b.owner && a.group === b.group && a.mode === b.mode && a.notify.join() === b.notify.join(),
};

interface DirectoryItem {
  path: Str;
  owner: Str;
  group: Str;
  mode: string;
  notify: string[];
}

export const directoryForm: RoleForm<DirectoryItem> = {
  key: "directory",
  schema: z.strictObject({ path: text, ...ownership, notify, when }),
  parse: (p) => ({ path: p.str("path"), ...p.fileLike("0755") }),
  paths: ["path"],
  expand: (item, x): DirectoryResource => ({
    kind: "directory",
    path: x.path(item.path),
    owner: x.render(item.owner),
    group: x.render(item.group),
    mode: item.mode,
    notify: item.notify,
    origin: x.origin,
  }),
};
