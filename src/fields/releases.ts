// The Debian releases mesh hosts may run: one definition for the provisioner (a host's release,
// learnt by the probe, must be one of these), the lab (which images it can build) and the docs.
export const RELEASES = {
  bookworm: { version: "12" },
  trixie: { version: "13" },
} as const;

export type Release = keyof typeof RELEASES;

/** What a lab host runs when no release is asked for (the README's lab). */
export const DEFAULT_RELEASE: Release = "bookworm";

export function isRelease(name: string): name is Release {
  return Object.hasOwn(RELEASES, name);
}

/** "Debian 12 (bookworm) and 13 (trixie)": for errors and help. */
export function supportedReleases(): string {
  const all = Object.entries(RELEASES).map(([name, r]) => `${r.version} (${name})`);
  return `Debian ${all.slice(0, -1).join(", ")} and ${all.at(-1)}`;
}

/** A comma-separated list of release names ("bookworm,trixie"), each one supported. */
export function parseReleaseList(text: string): Release[] {
  const names = text.split(",").map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === "")) throw new Error(`'${text}' is not a list of releases: name them with commas, e.g. bookworm,trixie`);
  for (const n of names) {
    if (!isRelease(n)) throw new Error(`'${n}' is not a release this tool supports: ${Object.keys(RELEASES).join(", ")} (${supportedReleases()})`);
  }
  return names as Release[];
}

/** The release of a host with this /etc/os-release (ID, VERSION_CODENAME, VERSION_ID), or an error that says what it runs and what is supported. */
export function releaseFromOs(os: { id: string; codename: string; version: string }): Release {
  const { id, codename, version } = os;
  if (id === "debian" && isRelease(codename)) return codename;
  const what = id === "" ? "a system with no /etc/os-release" : `${id === "debian" ? "Debian" : id} ${version || "(no version)"}${codename ? ` (${codename})` : ""}`;
  throw new Error(`the host runs ${what}; bgpmesh-provision supports ${supportedReleases()}`);
}

/** Template variables of a release, named as Ansible's facts are (roles choose packages by them). */
export function releaseVars(release: Release): Record<string, string> {
  return {
    ansible_distribution: "Debian",
    ansible_distribution_release: release,
    ansible_distribution_major_version: RELEASES[release].version,
  };
}
