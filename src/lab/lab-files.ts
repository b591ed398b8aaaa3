// What a lab hands its user: an inventory in the same YAML shape users write, the SSH key, a
// known_hosts file with every host's real keys (so checking stays strict), and an ssh_config.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { LabLayout } from "./layout.js";

export function etcHosts(lab: LabLayout): string {
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${lab.bridgeAddress}\trepo`,
    ...lab.hosts.map((h) => `${h.address}\t${h.name}`),
    "",
  ].join("\n");
}

export function knownHosts(lab: LabLayout): string {
  const lines: string[] = [];
  for (const host of lab.hosts) {
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
      const pub = join(host.dir, "root/etc/ssh", `ssh_host_${type}_key.pub`);
      if (!existsSync(pub)) continue;
      const [alg, key] = readFileSync(pub, "utf8").trim().split(/\s+/);
      lines.push(`${host.address},${host.name} ${alg} ${key}`);
    }
  }
  return lines.join("\n") + "\n";
}

export function sshConfig(lab: LabLayout): string {
  return [
    `# lab '${lab.name}': ssh -F ${lab.sshConfigFile} node1`,
    ...lab.hosts.flatMap((h) => [`Host ${h.name}`, `  HostName ${h.address}`]),
    "",
    "Host *",
    "  User root",
    `  IdentityFile ${lab.keyFile}`,
    "  IdentitiesOnly yes",
    "  StrictHostKeyChecking yes",
    `  UserKnownHostsFile ${lab.knownHostsFile}`,
    "  ConnectTimeout 5",
    "  LogLevel ERROR",
    "",
  ].join("\n");
}

/** Every host is in the mesh; the first three (one when the lab is smaller) are etcd members. */
export function inventory(lab: LabLayout): string {
  const hosts = Object.fromEntries(lab.hosts.map((h) => [h.name, { ansible_host: h.address }]));
  const members = lab.hosts.slice(0, lab.hosts.length >= 3 ? 3 : 1);
  const doc = {
    all: {
      vars: {
        ansible_user: "root",
        ansible_ssh_private_key_file: lab.keyFile,
        bgpmesh_known_hosts: lab.knownHostsFile,
      },
      children: {
        mesh: { hosts },
        etcd: { hosts: Object.fromEntries(members.map((h) => [h.name, null])) },
      },
    },
  };
  return `# Lab '${lab.name}' (${lab.subnet}), written by \`bgpmesh-provision lab up\`; rewritten on each up.\n${stringify(doc)}`;
}

export function writeLabFiles(lab: LabLayout): void {
  writeFileSync(lab.knownHostsFile, knownHosts(lab));
  writeFileSync(lab.sshConfigFile, sshConfig(lab));
  writeFileSync(lab.inventoryFile, inventory(lab));
}
