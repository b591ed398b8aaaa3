// The script a host runs, after its facts (facts.ts), to tell the planner everything else it needs: each resource's
// probe (its kind decides what to look at), command guards, rolling handlers' `serial_if` tests, and handlers
// an interrupted run still owes. Its output is tagged lines, parsed by observed.ts.
import type { DesiredHost } from "../model/resource.js";
import { prepare } from "./prepare.js";

export const JOURNAL = "/var/lib/bgpmesh/pending-handlers";

const PREAMBLE = "export LC_ALL=C";

/** `journal` is moved only by tests that run these scripts on the controller itself. */
export function probeScript(desired: DesiredHost, journal = JOURNAL): string {
  const resources = prepare(desired);
  const functions = [...new Set(resources.flatMap((p) => p.kind.probeFunctions ?? []))];
  const lines = resources.map((p) => p.kind.probe(p.resource, p.index)).filter(Boolean);
  lines.push(...new Set(resources.flatMap((p) => p.kind.probeFlush ?? [])));
  desired.handlers.forEach((h, i) => {
    if (h.rolling?.if !== undefined) lines.push(`if ( ${h.rolling.if} ) >/dev/null 2>&1 </dev/null; then printf 'Q\\t${i}\\t1\\n'; else printf 'Q\\t${i}\\t0\\n'; fi`);
  });
  const owed = `if [ -f ${journal} ]; then while IFS= read -r l; do printf 'H\\t%s\\n' "$l"; done < ${journal}; fi`;
  return [PREAMBLE, ...functions, ...lines, owed, ""].join("\n");
}
