import { homedir } from "node:os";
import { resolve } from "node:path";

/**
 * An absolute path for a path written in a file: "~/..." is the user's home (inventories copied from
 * Ansible say ~/.ssh/id_ed25519 all the time), anything else relative starts at baseDir.
 */
export function resolvePath(baseDir: string, path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return resolve(baseDir, path);
}
