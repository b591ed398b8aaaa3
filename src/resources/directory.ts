import type { ResourceUnit } from "../engine/action.js";
import type { DirectoryResource } from "../engine/desired.js";
import { shellQuote } from "../util/shell.js";
import { metadataChanges } from "./metadata.js";

export const directoryUnit: ResourceUnit<DirectoryResource> = {
  probe(r) {
    return `probe_path ${shellQuote(r.path)} -`;
  },
  plan(r, _i, { observed }) {
    const st = observed.paths[r.path] ?? { type: "missing" };
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
};
