// service: a systemd unit enabled or disabled, started or stopped.
import { z } from "zod";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import type { ResourceKind, RoleForm, Step, Str } from "./kind.js";
import { notify, text, when } from "./schema-parts.js";

export type ServiceResource = ResourceBase & {
  kind: "service";
  /** unit name; ".service" is implied when no suffix is given */
  name: string;
  enabled?: boolean;
  state?: "started" | "stopped";
  notify: string[];
};

interface UnitState {
  load: string;
  active: string;
  enabled: string;
}

export const unitName = (name: string): string => (name.includes(".") ? name : `${name}.service`);

// Unit file states that need no `systemctl enable`: enabled already, or not enable-able at all.
export const ENABLED = new Set(["enabled", "enabled-runtime", "static", "indirect", "generated", "alias"]);
const RUNNING = new Set(["active", "activating", "reloading"]);
export const UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

export const serviceKind: ResourceKind<ServiceResource, UnitState | undefined> = {
  kind: "service",
  // probe_unit queues a unit; probe_unit_flush asks systemd about all of them in one `systemctl
  // show` (one block per unit, in order, a blank line between). Each systemctl costs the host about
  // 5 ms; a host of the shipped site has 7 units. When the blocks do not add up (an invalid unit
  // name fails the whole call) each unit is asked alone, as before.
  probeFunctions: String.raw`_pu_q=
_pu_names=
probe_unit() {
  _pu_q="$_pu_q$1	$2
"
  _pu_names="$_pu_names$2
"
}
probe_unit_one() {
  systemctl show -p LoadState,ActiveState,UnitFileState -- "$2" 2>/dev/null |
    while IFS= read -r l; do printf 'R\t%s\t%s\n' "$1" "$l"; done
}
probe_unit_flush() {
  [ -n "$_pu_q" ] || return 0
  { IFS='
'; set -f
    systemctl show -p LoadState,ActiveState,UnitFileState -- $_pu_names 2>/dev/null
    echo @@Q
    printf '%s' "$_pu_q"
  } | awk -F '\t' '
    $0 == "@@Q" { q = 1; next }
    !q { if ($0 == "") { inb = 0; next } if (!inb) { b++; inb = 1; n[b] = 0 } l[b, ++n[b]] = $0; next }
    { k++; qi[k] = $1; qu[k] = $2 }
    END {
      for (j = 1; j <= k; j++) {
        if (b == k) { for (x = 1; x <= n[j]; x++) print "R\t" qi[j] "\t" l[j, x] }
        else print "P\t" qi[j] "\t" qu[j]
      }
    }' | while IFS= read -r l; do
    case $l in
      R*) printf '%s\n' "$l" ;;
      P*) x=${"$"}{l#P	}; probe_unit_one "${"$"}{x%%	*}" "${"$"}{x#*	}" ;;
    esac
  done
}`,
  probeFlush: "probe_unit_flush",
  probe: (r, i) => `probe_unit ${i} ${shellQuote(unitName(r.name))}`,
  read(lines) {
    if (lines.length === 0) return undefined;
    const unit: UnitState = { load: "", active: "", enabled: "" };
    for (const [line = ""] of lines) {
      const [key, value = ""] = line.split("=", 2);
      if (key === "LoadState") unit.load = value;
      if (key === "ActiveState") unit.active = value;
      if (key === "UnitFileState") unit.enabled = value;
    }
    return unit;
  },
  plan(r, st, { systemd, earlier }) {
    const unit = unitName(r.name);
    if (!systemd) throw new Error(`service ${unit}: systemd is not running on this host (${r.origin.where})`);
    const missing = !st || st.load === "not-found" || st.load === "";
    const unitFileWritten = [...earlier.writes].some((p) => UNIT_DIRS.some((d) => p === `${d}/${unit}`));
    if (missing && !earlier.installs && !unitFileWritten) {
      throw new Error(`service ${unit}: no such unit on this host, and nothing in this run installs it (${r.origin.where})`);
    }
    const target = `service ${unit}`;
    // A unit that appears during this run is unknown to systemd until it reloads its units: once
    // after the last install or unit file (or drop-in) written before this step, not for every
    // unit. Each reload took a lab host 0.4 s idle and 1-2 s during a first apply, and a first
    // apply of the shipped site did about 18 of them per host (two in every `systemctl enable`).
    const reload = (missing || unitFileWritten) && (earlier.sinceReload.installs || earlier.sinceReload.unitFiles) ? "systemctl daemon-reload && " : "";
    let reloadFirst = reload;
    const once = () => {
      const r = reloadFirst;
      reloadFirst = "";
      return r;
    };
    const steps: Step[] = [];
    // --no-reload: enabling only makes the links systemd reads at boot; the running systemd needs
    // no reload for them (without the flag, systemctl reloads all units once more).
    if (r.enabled === true && (missing || !ENABLED.has(st.enabled))) {
      const enable = `systemctl enable --no-reload ${shellQuote(unit)} >&2`;
      // A unit the probe did not see comes with a package of this run, whose install has most
      // likely enabled it already. `systemctl enable` of an enabled unit is no quick no-op when the
      // package also ships an init.d script (tinc, bird, etcd): systemd-sysv-install runs
      // update-rc.d, 1.3–2.8 s on a lab host, where `is-enabled` takes 40–80 ms.
      const script = missing ? `case "$(systemctl is-enabled ${shellQuote(unit)} 2>/dev/null)" in ${[...ENABLED].join("|")}) ;; *) ${enable} ;; esac` : enable;
      steps.push({ target, change: "enable", notify: r.notify, script: `${once()}${script}` });
    }
    if (r.enabled === false && !missing && st.enabled === "enabled") {
      steps.push({ target, change: "disable", notify: r.notify, script: `systemctl disable --no-reload ${shellQuote(unit)} >&2` });
    }
    if (r.state === "started" && (missing || !RUNNING.has(st.active))) {
      // The daemon's first start: every change before this step is on disk, so a restart or reload
      // those changes notified need not follow (engine/plan.ts). A package this run installs has not
      // started it (package.ts keeps the units of startsItself stopped), unless the host's own
      // policy-rc.d let it, or its package ignores policy-rc.d: after an install the step restarts,
      // which starts a stopped unit and brings one started with the package's defaults to its own.
      const verb = earlier.installs ? "restart" : "start";
      steps.push({ target, change: "start", notify: r.notify, script: `${once()}systemctl ${verb} ${shellQuote(unit)}`, firstStart: true });
    }
    if (r.state === "stopped" && !missing && RUNNING.has(st.active)) {
      steps.push({ target, change: "stop", notify: r.notify, script: `systemctl stop ${shellQuote(unit)}` });
    }
    return steps;
  },
  starts: (r) => (r.state === "started" ? [unitName(r.name)] : []),
  effects: (_r, steps) => ({ reloadsSystemd: steps.some((s) => s.script.startsWith("systemctl daemon-reload")) }),
};

interface ServiceItem {
  name: Str;
  enabled?: boolean;
  state?: "started" | "stopped";
  notify: string[];
}

export const serviceForm: RoleForm<ServiceItem> = {
  key: "service",
  schema: z.strictObject({ name: text, enabled: z.boolean().optional(), state: z.enum(["started", "stopped"]).optional(), notify, when }),
  parse: (p) => ({
    name: p.str("name"),
    notify: p.notify,
    ...(p.data["enabled"] !== undefined && { enabled: p.data["enabled"] as boolean }),
    ...(p.data["state"] !== undefined && { state: p.data["state"] as "started" | "stopped" }),
  }),
  expand: (item, x): ServiceResource => ({
    kind: "service",
    name: x.render(item.name),
    ...(item.enabled !== undefined && { enabled: item.enabled }),
    ...(item.state && { state: item.state }),
    notify: item.notify,
    origin: x.origin,
  }),
};
