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

// Debian starts a packaged daemon as it installs it, with the package's default settings (etcd: a
// single-node cluster of its own in /var/lib/etcd/default), and the run then restarts it with its
// own. For the units this host's roles start themselves, the install has invoke-rc.d and
// deb-systemd-invoke leave them stopped (policy-rc.d, exit 101): each starts once, later in the
// run, with its final configuration. Other daemons start as Debian does. The policy file is written
// only where there is none (an image's own policy stays in force) or where one of ours was left
// behind; it is removed when the install ends, and answers "no" only while the apply's shell ($$)
// runs, so one left behind by a killed apply denies nothing.
const POLICY = "/usr/sbin/policy-rc.d";
const POLICY_MARK = "# bgpmesh-provision: written for one apt install, removed after it (src/resources/package.ts)";

export function holdStarts(units: readonly string[], policy = POLICY): string {
  if (units.length === 0) return "";
  // invoke-rc.d asks by init script name (etcd), deb-systemd-invoke by unit (etcd.service).
  const names = [...new Set(units.flatMap((u) => [u, u.replace(/\.service$/, "")]))].sort();
  const lines = [
    "#!/bin/sh",
    POLICY_MARK,
    "case $1 in --quiet) shift ;; esac",
    `case $1 in ${names.map(shellQuote).join("|")}) case $2 in stop) ;; *) exit 101 ;; esac ;; esac`,
    "exit 0",
  ];
  return [
    `if [ ! -e ${policy} ] || grep -qxF ${shellQuote(POLICY_MARK)} ${policy}; then`,
    `  trap 'rm -f ${policy} ${policy}.tmp' EXIT`,
    "  trap 'exit 1' HUP INT TERM",
    // The pid test goes right after the marker: "$$" is expanded here, as the file is written.
    `  printf '%s\\n' ${lines.slice(0, 2).map(shellQuote).join(" ")} "[ -d /proc/$$ ] || exit 0" ${lines.slice(2).map(shellQuote).join(" ")} > ${policy}.tmp`,
    `  chmod 755 ${policy}.tmp && mv -f ${policy}.tmp ${policy}`,
    "fi",
  ].join("\n");
}

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
  plan(r, facts, ctx) {
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
          ...[holdStarts([...ctx.startsItself])].filter(Boolean),
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

