// From Vagrant's machines to inventory entries: how to reach each over SSH, and the address the
// other machines reach it at (the mesh's underlay), which is not always the one SSH uses.
import { existsSync } from "node:fs";
import { stringify } from "yaml";
import { VagrantInputError, type SshConfigHost } from "./ssh-config.js";

export interface VagrantHost {
  name: string;
  address: string;
  port: number;
  user: string;
  keyFile?: string;
  /** set when SSH goes through a port forward on this machine */
  underlay?: string;
}

/** `--underlay NAME=ADDR` options as a map; a malformed or repeated one is an error. */
export function parseUnderlay(pairs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of pairs) {
    const m = /^([^=\s]+)=(\S+)$/.exec(pair);
    if (!m) throw new VagrantInputError(`--underlay '${pair}': expected NAME=ADDR, e.g. node1=192.168.56.11`);
    if (map.has(m[1]!)) throw new VagrantInputError(`--underlay: ${m[1]} is given twice`);
    if (isLoopback(m[2]!)) throw new VagrantInputError(`--underlay ${pair}: a loopback address cannot be reached from the other machines`);
    map.set(m[1]!, m[2]!);
  }
  return map;
}

export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1" || address.toLowerCase() === "localhost";
}

/**
 * The machines with their underlay addresses. VirtualBox's default SSH path is a port forward
 * (127.0.0.1:2222) that only this machine can use, so such a machine's underlay must be given.
 * Of several IdentityFiles the first that exists is used (Vagrant lists its own key first).
 */
export function vagrantHosts(parsed: SshConfigHost[], underlay: Map<string, string>, fileExists = existsSync): VagrantHost[] {
  const names = new Set(parsed.map((h) => h.name));
  const unknown = [...underlay.keys()].filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new VagrantInputError(`--underlay names ${unknown.join(", ")}, which vagrant ssh-config does not list (it lists ${[...names].join(", ")})`);
  }
  const forwarded = parsed.filter((h) => isLoopback(h.hostName) && !underlay.has(h.name));
  if (forwarded.length > 0) {
    const list = forwarded.map((h) => `${h.name} (${h.hostName}:${h.port})`).join(", ");
    const pass = forwarded.map((h) => `--underlay ${h.name}=ADDR`).join(" ");
    throw new VagrantInputError(
      `${list}: reached through a port forward on this machine, which the other machines cannot use for tinc and etcd; ` +
        `pass ${pass} with the address the machines reach each other at (vagrant/Vagrantfile: node1..node3 are 192.168.56.11..13)`,
    );
  }
  return parsed.map((h) => {
    const keyFile = h.identityFiles.find((f) => fileExists(f)) ?? h.identityFiles[0];
    const under = underlay.get(h.name);
    return {
      name: h.name,
      address: h.hostName,
      port: h.port,
      user: h.user,
      ...(keyFile !== undefined && { keyFile }),
      ...(under !== undefined && { underlay: under }),
    };
  });
}

/**
 * The inventory text, in the shape docs/mesh.md describes: every machine in `mesh`, the first three
 * (one when there are fewer) in `etcd`, since an etcd cluster needs an odd number of members.
 */
export function inventoryYaml(hosts: VagrantHost[], knownHostsFile: string, origin: string): string {
  const entry = (h: VagrantHost) => ({
    ansible_host: h.address,
    ...(h.port !== 22 && { ansible_port: h.port }),
    ansible_user: h.user,
    ...(h.keyFile !== undefined && { ansible_ssh_private_key_file: h.keyFile }),
    ...(h.underlay !== undefined && { tinc_address: h.underlay }),
  });
  const members = hosts.slice(0, hosts.length >= 3 ? 3 : 1);
  const doc = {
    all: {
      vars: { ansible_become: true, bgpmesh_known_hosts: knownHostsFile },
      children: {
        mesh: { hosts: Object.fromEntries(hosts.map((h) => [h.name, entry(h)])) },
        etcd: { hosts: Object.fromEntries(members.map((h) => [h.name, null])) },
      },
    },
  };
  return (
    `# Written by \`bgpmesh-provision inventory --from-vagrant\` from ${origin}.\n` +
    `# Write it again after \`vagrant up\`: ports and keys may change.\n${stringify(doc)}`
  );
}
