import { shellQuote } from "../util/shell.js";

interface Meta {
  owner: string;
  group: string;
  mode: string;
}

/** chown/chmod for a path whose owner, group or mode differs; undefined when all match. */
export function metadataChanges(path: string, want: Meta, have: Meta): { detail: string; script: string } | undefined {
  const details: string[] = [];
  const script: string[] = [];
  if (want.owner !== have.owner || want.group !== have.group) {
    details.push(`owner ${have.owner}:${have.group} → ${want.owner}:${want.group}`);
    script.push(`chown ${shellQuote(`${want.owner}:${want.group}`)} ${shellQuote(path)}`);
  }
  if (want.mode !== have.mode) {
    details.push(`mode ${have.mode} → ${want.mode}`);
    script.push(`chmod ${want.mode} ${shellQuote(path)}`);
  }
  return details.length ? { detail: details.join(", "), script: script.join(" && ") } : undefined;
}
