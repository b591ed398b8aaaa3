// What a path is on the host, for the kinds that manage one (file, directory): type, owner, group,
// mode, and for a file its size and SHA-256, with its content when it differs from the desired one
// and is small enough to diff.

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

/** probe_path INDEX PATH SHA256|-: the content is printed only when its hash is not SHA256. */
export const PATH_FUNCTIONS = String.raw`probe_path() {
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
}`;

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
