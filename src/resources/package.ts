import type { ResourceUnit } from "../engine/action.js";
import type { PackageResource } from "../engine/desired.js";
import { shellQuote } from "../util/shell.js";

const APT = [
  "apt-get -q -y",
  // Wait for another apt or unattended-upgrades instead of failing on the dpkg lock.
  "-o DPkg::Lock::Timeout=300",
  // Keep local changes to conffiles; our own templates replace them afterwards anyway.
  "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold",
].join(" ");

/** All packages of a host are installed in one apt transaction (see plan.ts, which merges them). */
export const packageUnit: ResourceUnit<PackageResource> = {
  probe(r) {
    return `dpkg-query -W -f='P\\t\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${r.names.map(shellQuote).join(" ")} 2>/dev/null`;
  },
  plan(r, _i, { observed }) {
    const missing = r.names.filter((n) => !observed.packages[n]?.installed);
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
};
