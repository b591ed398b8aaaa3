// What a path is on the host, for the kinds that manage one (file, directory): type, owner, group,
// mode, and for a file its size and SHA-256, with its content when it differs from the desired one
// and is small enough to diff.
import { shellQuote } from "../util/shell.js";

export type PathState =
  | { type: "missing" }
  | { type: "other"; what: string }
  | { type: "directory"; owner: string; group: string; mode: string }
  | {
      type: "file";
      owner: string;
      group: string;
      mode: string;
      size: number;
      sha256: string;
      /** base64 of the current content: sent only when it differs from the desired one (for the diff) */
      content?: string;
    };

/** Above this size the probe does not send a file's current content, so no diff is shown. */
export const DIFF_LIMIT = 100 * 1024;

/**
 * probe_path INDEX PATH SHA256|- queues a path; probe_path_flush (the kind's probeFlush) then asks
 * about all of them at once: one `stat` for every path, one `sha256sum` for every regular file, and
 * awk to join the answers to the indexes. The content is printed only for a file whose hash is not
 * the desired SHA256 (the diff). It used to be two or three processes per path: on a 10-node lab a
 * no-change run spawned 38 `stat`s and `sha256sum`s per host. A path the batch cannot answer for
 * (sha256sum escapes a name with a backslash) is asked about alone, by probe_path_one, as before.
 */
export const PATH_FUNCTIONS = String.raw`_pp_q=
_pp_all=
_pp_reg=
probe_path() {
  _pp_q="$_pp_q$1	$3	$2
"
  _pp_all="$_pp_all$2
"
  if [ -f "$2" ] && [ ! -L "$2" ]; then _pp_reg="$_pp_reg$2
"; fi
}
probe_path_one() {
  if [ -L "$2" ]; then printf 'R\t%s\tsymlink\n' "$1"
  elif [ -f "$2" ]; then
    h=$(sha256sum < "$2"); h=${"$"}{h%% *}
    printf 'R\t%s\tfile\t%s\t%s\n' "$1" "$(stat --printf '%U\t%G\t%a\t%s' "$2")" "$h"
    if [ "$3" != - ] && [ "$h" != "$3" ] && [ "$(stat -c %s "$2")" -le ${DIFF_LIMIT} ]; then
      printf 'R\t%s\tcontent\t' "$1"; base64 -w0 < "$2"; echo
    fi
  elif [ -d "$2" ]; then printf 'R\t%s\tdirectory\t%s\n' "$1" "$(stat --printf '%U\t%G\t%a' "$2")"
  elif [ -e "$2" ]; then printf 'R\t%s\t%s\n' "$1" "$(stat -c %F "$2")"
  else printf 'R\t%s\tmissing\n' "$1"
  fi
}
probe_path_flush() {
  [ -n "$_pp_q" ] || return 0
  { IFS='
'; set -f
    stat --printf 'S\t%F\t%U\t%G\t%a\t%s\t%n\n' -- $_pp_all 2>/dev/null
    echo @@H
    if [ -n "$_pp_reg" ]; then sha256sum -- $_pp_reg 2>/dev/null; fi
    echo @@Q
    printf '%s' "$_pp_q"
  } | awk -F '\t' -v limit=${DIFF_LIMIT} '
    $0 == "@@H" { m = "H"; next }
    $0 == "@@Q" { m = "Q"; next }
    m == "" { n = $7; for (k = 8; k <= NF; k++) n = n "\t" $k; t[n] = $2; meta[n] = $3 "\t" $4 "\t" $5; size[n] = $6; next }
    m == "H" { if (substr($0, 1, 1) != "\\") h[substr($0, 67)] = substr($0, 1, 64); next }
    {
      p = $3; for (k = 4; k <= NF; k++) p = p "\t" $k
      if (!(p in t)) print "R\t" $1 "\tmissing"
      else if (t[p] == "symbolic link") print "R\t" $1 "\tsymlink"
      else if (t[p] == "directory") print "R\t" $1 "\tdirectory\t" meta[p]
      else if (t[p] !~ /^regular/) print "R\t" $1 "\t" t[p]
      else if (!(p in h)) print "P\t" $1 "\t" $2 "\t" p
      else {
        print "R\t" $1 "\tfile\t" meta[p] "\t" size[p] "\t" h[p]
        if ($2 != "-" && $2 != h[p] && size[p] + 0 <= limit) print "C\t" $1 "\t" p
      }
    }' | while IFS= read -r l; do
    x=${"$"}{l#?	}; i=${"$"}{x%%	*}; x=${"$"}{x#*	}
    case $l in
      R*) printf '%s\n' "$l" ;;
      C*) printf 'R\t%s\tcontent\t' "$i"; base64 -w0 < "$x"; echo ;;
      P*) probe_path_one "$i" "${"$"}{x#*	}" "${"$"}{x%%	*}" ;;
    esac
  done
}`;

/** The probe line of one path: queued, unless its name would not survive the batch's newline-separated lists. */
export function probePathLine(index: number, path: string, sha256: string): string {
  const fn = /[\n\t\\]/.test(path) ? "probe_path_one" : "probe_path";
  return `${fn} ${index} ${shellQuote(path)} ${sha256}`;
}

export const PATH_FLUSH = "probe_path_flush";

const fourDigits = (mode: string) => mode.padStart(4, "0");

export function readPath(lines: string[][]): PathState {
  let st: PathState = { type: "missing" };
  for (const [type, owner, group, mode, size, sha] of lines) {
    if (type === "content") {
      if (st.type === "file") st.content = owner ?? "";
    } else if (type === "missing") st = { type };
    else if (type === "directory") st = { type, owner: owner!, group: group!, mode: fourDigits(mode!) };
    else if (type === "file") st = { type, owner: owner!, group: group!, mode: fourDigits(mode!), size: Number(size), sha256: sha! };
    else st = { type: "other", what: type ?? "unknown" };
  }
  return st;
}

/** A file's content is fetched only for the diff: a saved plan does not go stale over it. */
export const stablePath = (st: PathState): unknown => (st.type === "file" ? { ...st, content: undefined } : st);
