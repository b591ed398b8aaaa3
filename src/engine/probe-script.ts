// The one script a host runs to tell the planner everything it needs: facts, package states,
// paths (with content only where it differs, for the diff), units, command guards, and handlers
// an interrupted run still owes. Its output is tagged lines, parsed by observed.ts.
import { unitFor } from "../resources/index.js";
import { DIFF_LIMIT } from "../resources/file.js";
import type { DesiredHost } from "./desired.js";

export const JOURNAL = "/var/lib/bgpmesh/pending-handlers";

const PREAMBLE = String.raw`export LC_ALL=C
printf 'F\thostname\t%s\n' "$(hostname)"
if [ -d /run/systemd/system ]; then printf 'F\tsystemd\tyes\n'; fi
probe_path() {
  if [ -L "$1" ]; then printf 'S\t%s\tsymlink\n' "$1"
  elif [ -f "$1" ]; then
    h=$(sha256sum < "$1"); h=${"$"}{h%% *}
    printf 'S\t%s\tfile\t%s\t%s\n' "$1" "$(stat --printf '%U\t%G\t%a\t%s' "$1")" "$h"
    if [ "$2" != - ] && [ "$h" != "$2" ] && [ "$(stat -c %s "$1")" -le ${DIFF_LIMIT} ]; then
      printf 'C\t%s\t' "$1"; base64 -w0 < "$1"; echo
    fi
  elif [ -d "$1" ]; then printf 'S\t%s\tdirectory\t%s\n' "$1" "$(stat --printf '%U\t%G\t%a' "$1")"
  elif [ -e "$1" ]; then printf 'S\t%s\t%s\n' "$1" "$(stat -c %F "$1")"
  else printf 'S\t%s\tmissing\n' "$1"
  fi
}
probe_unit() {
  systemctl show -p LoadState,ActiveState,UnitFileState -- "$1" 2>/dev/null |
    while IFS= read -r l; do printf 'U\t%s\t%s\n' "$1" "$l"; done
}
guard() { printf 'G\t%s\t%s\n' "$1" "$2"; }
serial_if() { printf 'Q\t%s\t%s\n' "$1" "$2"; }
`;

/** `journal` is moved only by tests that run these scripts on the controller itself. */
export function probeScript(desired: DesiredHost, journal = JOURNAL): string {
  const lines = desired.resources.map((r, i) => unitFor(r).probe(r, i)).filter(Boolean);
  desired.handlers.forEach((h, i) => {
    if (typeof h.serial === "string") lines.push(`if ( ${h.serial} ) >/dev/null 2>&1 </dev/null; then serial_if ${i} 1; else serial_if ${i} 0; fi`);
  });
  const owed = `if [ -f ${journal} ]; then while IFS= read -r l; do printf 'H\\t%s\\n' "$l"; done < ${journal}; fi`;
  return [PREAMBLE, ...lines, owed, ""].join("\n");
}
