// The Debian archive the lab builds from: the controller reaches it, lab hosts never do.
import type { Release } from "../fields/releases.js";

export const MIRROR = process.env.BGPMESH_LAB_MIRROR ?? "http://deb.debian.org/debian";
export const SECURITY_MIRROR = process.env.BGPMESH_LAB_SECURITY_MIRROR ?? "http://deb.debian.org/debian-security";
export const ARCHIVE_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** sources.list lines for Debian's own archive only: the controller's other sources (a newer nodejs, say) must not leak into the lab. */
export function debianSources(suite: Release): string {
  const opt = `[signed-by=${ARCHIVE_KEYRING}]`;
  return [
    `deb ${opt} ${MIRROR} ${suite} main`,
    `deb ${opt} ${MIRROR} ${suite}-updates main`,
    `deb ${opt} ${SECURITY_MIRROR} ${suite}-security main`,
    "",
  ].join("\n");
}
