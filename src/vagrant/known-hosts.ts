// The project-local known_hosts for Vagrant machines. Vagrant tells ssh(1) to check nothing
// (StrictHostKeyChecking no, UserKnownHostsFile /dev/null); this tool checks every host, so it needs
// a known_hosts that follows the VMs through `vagrant destroy` and `vagrant up` without anyone
// editing ~/.ssh/known_hosts or turning checking off.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hostFieldMatches, keyTypeOf, knownHostName, parseKnownHosts } from "../transport/known-hosts.js";
import { VagrantInputError } from "./ssh-config.js";

/** One machine as the inventory will reach it, and its pinned public key if the Vagrantfile made one. */
export interface KnownHostsTarget {
  name: string;
  address: string;
  port: number;
  /** `type base64`, or undefined: trust on first use */
  key?: string;
}

/** Where vagrant/Vagrantfile keeps a VM's pinned public host key. */
export function pinnedKeyFile(vagrantDir: string, name: string): string {
  return join(vagrantDir, ".hostkeys", `${name}_ed25519.pub`);
}

/** The pinned public key of a VM as `type base64`, or undefined when there is none. */
export function readPinnedKey(vagrantDir: string, name: string): string | undefined {
  const file = pinnedKeyFile(vagrantDir, name);
  if (!existsSync(file)) return undefined;
  const [type, b64] = readFileSync(file, "utf8").trim().split(/\s+/);
  if (!type || !b64 || keyTypeOf(Buffer.from(b64, "base64")) !== type) {
    throw new VagrantInputError(`${file}: not an OpenSSH public key ("type base64 comment"); delete it to have the Vagrantfile make a new one`);
  }
  return `${type} ${b64}`;
}

/**
 * `existing` known_hosts text with the targets' lines replaced: lines for the names the tool looks a
 * target up under (its address and its inventory name, on its port) go, and each pinned key gets one
 * line for the address. A port forward can move to another VM after `vagrant up`, so an old line for
 * `[127.0.0.1]:2222` is dropped even when no pinned key replaces it. Other lines, comments and
 * @revoked/@cert-authority lines stay as they were.
 */
export function mergeKnownHosts(existing: string, targets: KnownHostsTarget[]): string {
  const names = targets.flatMap((t) => [knownHostName(t.address, t.port), knownHostName(t.name, t.port)]);
  const kept = existing.split("\n").filter((raw) => {
    const [entry] = parseKnownHosts(raw);
    return !entry || entry.marker !== undefined || !names.some((n) => hostFieldMatches(entry.hosts, n));
  });
  while (kept.length > 0 && kept[kept.length - 1]!.trim() === "") kept.pop();
  const added = targets.flatMap((t) => (t.key ? [`${knownHostName(t.address, t.port)} ${t.key}`] : []));
  const lines = [...kept, ...added];
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
