import type { ResourceUnit } from "../engine/action.js";
import type { ServiceResource } from "../engine/desired.js";
import { shellQuote } from "../util/shell.js";

export const unitName = (name: string): string => (name.includes(".") ? name : `${name}.service`);

// Unit file states that need no `systemctl enable`: enabled already, or not enable-able at all.
const ENABLED = new Set(["enabled", "enabled-runtime", "static", "indirect", "generated", "alias"]);
const RUNNING = new Set(["active", "activating", "reloading"]);
const UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

export const serviceUnit: ResourceUnit<ServiceResource> = {
  probe(r) {
    return `probe_unit ${shellQuote(unitName(r.name))}`;
  },
  plan(r, _i, { observed, installsPackages, writes }) {
    const unit = unitName(r.name);
    if (!observed.systemd) throw new Error(`service ${unit}: systemd is not running on this host (${r.origin.where})`);
    const st = observed.units[unit];
    const missing = !st || st.load === "not-found" || st.load === "";
    const unitFileWritten = [...writes].some((p) => UNIT_DIRS.some((d) => p === `${d}/${unit}`));
    if (missing && !installsPackages && !unitFileWritten) {
      throw new Error(`service ${unit}: no such unit on this host, and nothing in this run installs it (${r.origin.where})`);
    }
    const target = `service ${unit}`;
    // A unit that appears during this run is unknown to systemd until it reloads its units.
    const reload = missing || unitFileWritten ? "systemctl daemon-reload && " : "";
    const actions = [];
    if (r.enabled === true && (missing || !ENABLED.has(st.enabled))) {
      actions.push({ target, change: "enable", notify: r.notify, script: `${reload}systemctl enable ${shellQuote(unit)} >&2` });
    }
    if (r.enabled === false && !missing && st.enabled === "enabled") {
      actions.push({ target, change: "disable", notify: r.notify, script: `systemctl disable ${shellQuote(unit)} >&2` });
    }
    if (r.state === "started" && (missing || !RUNNING.has(st.active))) {
      actions.push({ target, change: "start", notify: r.notify, script: `${reload}systemctl start ${shellQuote(unit)}` });
    }
    if (r.state === "stopped" && !missing && RUNNING.has(st.active)) {
      actions.push({ target, change: "stop", notify: r.notify, script: `systemctl stop ${shellQuote(unit)}` });
    }
    return actions;
  },
};
