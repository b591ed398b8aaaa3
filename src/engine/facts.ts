// What a host is, learnt before anything else in the same session (the host's release decides
// package names and templates, so the probe of its resources waits for it): the first lines the
// host prints, parsed here (fields/releases.ts turns the release into template variables).
export interface HostFacts {
  hostname: string;
  systemd: boolean;
  /** /etc/os-release: ID, VERSION_CODENAME, VERSION_ID ("" when it has none) */
  os: { id: string; codename: string; version: string };
}

export const FACTS_SCRIPT = String.raw`export LC_ALL=C
printf 'F\thostname\t%s\n' "$(hostname)"
if [ -d /run/systemd/system ]; then printf 'F\tsystemd\tyes\n'; fi
if [ -r /etc/os-release ]; then (. /etc/os-release; printf 'F\tos\t%s\t%s\t%s\n' "$ID" "$VERSION_CODENAME" "$VERSION_ID"); fi`;

/** The facts among a host's output lines (`F\t…`); other lines are ignored. */
export function parseFacts(output: string): HostFacts {
  const facts: HostFacts = { hostname: "", systemd: false, os: { id: "", codename: "", version: "" } };
  for (const line of output.split("\n")) {
    const f = line.split("\t");
    if (f[0] !== "F") continue;
    if (f[1] === "hostname") facts.hostname = f[2] ?? "";
    if (f[1] === "systemd") facts.systemd = f[2] === "yes";
    if (f[1] === "os") facts.os = { id: f[2] ?? "", codename: f[3] ?? "", version: f[4] ?? "" };
  }
  return facts;
}
