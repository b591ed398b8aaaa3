// The probe's output → what it saw. Host-wide lines are the engine's own (F facts, Q serial tests,
// H owed handlers); a resource's lines (R) are kept for its kind to read (src/resources/kind.ts).
import type { Observed } from "../model/observed.js";
import { parseFacts } from "./facts.js";

/** Parses the facts and the probe's output (see facts.ts and probe-script.ts for the line format). */
export function parseProbe(output: string): Observed {
  const { hostname, systemd } = parseFacts(output);
  const o: Observed = { hostname, systemd, pendingHandlers: [], serialHandlers: {}, lines: {} };
  for (const line of output.split("\n")) {
    const f = line.split("\t");
    switch (f[0]) {
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
