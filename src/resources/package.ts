// package: Debian packages, installed with apt when missing. All of a host's packages are one apt
// transaction, at the place of the first package resource.
import { z } from "zod";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import type { ResourceKind, RoleForm, Str } from "./kind.js";
import { when } from "./schema-parts.js";

export type PackageResource = ResourceBase & { kind: "package"; names: string[] };

type Facts = Record<string, { installed: boolean; version: string }>;

const APT = [
  "apt-get -q -y",
  // Wait for another apt or unattended-upgrades instead of failing on the dpkg lock.
  "-o DPkg::Lock::Timeout=300",
  // Keep local changes to conffiles; our own templates replace them afterwards anyway.
  "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold",
  // dpkg fsyncs every unpacked file before renaming it into place; without that, a power cut in
  // the seconds after an install can leave some of the new files empty (dpkg still lists the
  // package: `apt-get install --reinstall` repairs it). Only these installs skip it; dpkg's own
  // database is still synced. On lab hosts sharing one disk the fsyncs made etcd's wait seconds.
  "-o Dpkg::Options::=--force-unsafe-io",
].join(" ");

export const packageKind: ResourceKind<PackageResource, Facts> = {
  kind: "package",
  probe(r, i) {
    if (r.names.length === 0) return "";
    return `dpkg-query -W -f='R\\t${i}\\t\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${r.names.map(shellQuote).join(" ")} 2>/dev/null`;
  },
  read(lines) {
    // db:Status-Abbrev is "ii " for an installed package
    return Object.fromEntries(lines.map(([name, status, version]) => [name ?? "", { installed: (status ?? "").startsWith("ii"), version: version ?? "" }]));
  },
  plan(r, facts) {
    const missing = r.names.filter((n) => !facts[n]?.installed);
    if (missing.length === 0) return [];
    return [
      {
        target: `packages ${missing.join(", ")}`,
        change: "install",
        notify: [],
        script: [
          "export DEBIAN_FRONTEND=noninteractive",
          `${APT} update >&2`,
          `${APT} install --no-install-recommends ${missing.map(shellQuote).join(" ")} >&2`,
        ].join("\n"),
      },
    ];
  },
  merge(all) {
    return { ...all[0]!, names: [...new Set(all.flatMap((r) => r.names))] };
  },
  effects: (_r, steps) => ({ installs: steps.length > 0 }),
};

interface PackageItem {
  names: Str[];
}

/** `package: [a, b]` or `package: a` are the short forms of `package: { names: [a, b] }`. */
export const packageForm: RoleForm<PackageItem> = {
  key: "package",
  schema: z.strictObject({ names: z.array(z.string()).min(1, { error: "expected at least one package name" }), when }),
  short: { schema: z.union([z.string(), z.array(z.string()).min(1)], { error: "expected a package name or a list of them" }), field: "names" },
  parse: (p) => ({ names: p.list("names") }),
  expand: (item, x): PackageResource => ({ kind: "package", names: item.names.map((n) => x.render(n)), origin: x.origin }),
};

