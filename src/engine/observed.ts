// The probe's output → what it saw. Host-wide lines are the engine's own (F facts, Q serial tests,
// H owed handlers); a resource's lines (R) are kept for its kind to read (src/resources/kind.ts).
import type { Observed } from "../model/observed.js";

/** Parses the probe's output (see probe-script.ts for the line format). */
export function parseProbe(output: string): Observed {
  const o: Observed = { hostname: "", systemd: false, pendingHandlers: [], serialHandlers: {}, lines: {} };
  for (const line of output.split("\n")) {
    const f = line.split("\t");
    switch (f[0]) {
      case "F":
        if (f[1] === "hostname") o.hostname = f[2] ?? "";
        if (f[1] === "systemd") o.systemd = f[2] === "yes";
        break;
      case "R":
        (o.lines[Number(f[1])] ??= []).push(f.slice(2));
        break;
      case "Q":
        o.serialHandlers[Number(f[1])] = f[2] === "1";
        break;
      case "H":
        if (f[1]) o.pendingHandlers.push(f[1]);
        break;
    }
  }
  return o;
}
