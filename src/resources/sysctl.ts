// sysctl: a kernel parameter set now (`sysctl -w`) and kept across reboots by a file of its own in
// /etc/sysctl.d, as Ansible's sysctl module does with `sysctl_set: yes`. Each parameter owns its
// file, so two roles setting one parameter differently are caught as one path managed twice.
import { z } from "zod";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import { sha256 } from "./content.js";
import { writeRootFileScript } from "./file.js";
import type { ResourceKind, RoleForm, Step, Str } from "./kind.js";
import { notify, text, when } from "./schema-parts.js";

export type SysctlResource = ResourceBase & {
  kind: "sysctl";
  /** dotted, e.g. net.ipv4.ip_forward */
  name: string;
  /** as /proc/sys prints it, words separated by single spaces */
  value: string;
  /** the file that sets it at boot */
  file: string;
  notify: string[];
};

interface Facts {
  /** the running value, words joined by single spaces; undefined: no such parameter */
  now?: string;
  /** SHA-256 of the boot file, undefined when it is missing */
  fileSha?: string;
}

/** Parameter names are path components under /proc/sys: no `/`, no `..`, nothing a shell would read. */
export const SYSCTL_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

const procPath = (name: string) => `/proc/sys/${name.replaceAll(".", "/")}`;
/** /proc/sys separates a multi-word value by tabs; one spelling for comparing and writing. */
const words = (value: string) => value.trim().split(/\s+/).join(" ");
const fileText = (r: SysctlResource) => `# set by bgpmesh-provision\n${r.name} = ${r.value}\n`;

export const sysctlKind: ResourceKind<SysctlResource, Facts> = {
  kind: "sysctl",
  probe(r, i) {
    const proc = shellQuote(procPath(r.name));
    const file = shellQuote(r.file);
    return [
      `if [ -f ${proc} ]; then printf 'R\\t${i}\\tnow\\t%s\\n' "$(tr -s '\\t\\n' '  ' < ${proc})"; fi`,
      `if [ -f ${file} ]; then h=$(sha256sum < ${file}); printf 'R\\t${i}\\tfile\\t%s\\n' "\${h%% *}"; fi`,
    ].join("\n");
  },
  read(lines) {
    const facts: Facts = {};
    for (const [what, value = ""] of lines) {
      if (what === "now") facts.now = words(value);
      if (what === "file") facts.fileSha = value;
    }
    return facts;
  },
  plan(r, facts) {
    if (facts.now === undefined) throw new Error(`sysctl ${r.name}: no such kernel parameter on this host (${procPath(r.name)} is missing) (${r.origin.where})`);
    const steps: Step[] = [];
    const bytes = Buffer.from(fileText(r));
    if (facts.fileSha !== sha256(bytes)) {
      steps.push({
        target: `file ${r.file}`,
        change: facts.fileSha ? "update" : "create",
        detail: `${r.name} = ${r.value} at boot`,
        notify: r.notify,
        script: writeRootFileScript(r.file, bytes),
        atomic: true,
      });
    }
    if (facts.now !== r.value) {
      steps.push({ target: `sysctl ${r.name}`, change: "set", detail: `${facts.now} → ${r.value}`, notify: r.notify, script: `sysctl -q -w ${shellQuote(`${r.name}=${r.value}`)}` });
    }
    return steps;
  },
  path: (r) => r.file,
};

interface SysctlItem {
  name: Str;
  value: Str;
  file?: Str;
  notify: string[];
}

export const sysctlForm: RoleForm<SysctlItem> = {
  key: "sysctl",
  schema: z.strictObject({
    name: text,
    value: z.union([text, z.number()], { error: "expected the value as text or a number" }),
    file: text.optional(),
    notify,
    when,
  }),
  parse(p) {
    const file = p.opt("file");
    return { name: p.str("name"), value: p.numberText("value", 0), notify: p.notify, ...(file && { file }) };
  },
  paths: ["file"],
  expand(item, x): SysctlResource {
    const name = x.render(item.name).trim();
    if (!SYSCTL_NAME.test(name)) throw x.error(item.name.at, `not a kernel parameter name like net.ipv4.ip_forward: ${JSON.stringify(name)}`);
    const value = words(x.render(item.value));
    if (!/^[\x20-\x7e]+$/.test(value)) throw x.error(item.value.at, `sysctl ${name}: expected a value of printable characters on one line`);
    return {
      kind: "sysctl",
      name,
      value,
      file: item.file ? x.path(item.file) : `/etc/sysctl.d/90-bgpmesh-${name}.conf`,
      notify: item.notify,
      origin: x.origin,
    };
  },
};
