import type { LabInfo } from "./cli.js";

type LabHost = LabInfo["hosts"][number];

export interface MeshInventoryOptions {
  /** the mesh group's hosts; default every host of the lab */
  mesh?: LabHost[];
  /** more of a mesh host's own settings, after its ansible_host, e.g. `, bgp_announce: [...]` */
  hostVars?: (host: LabHost, index: number) => string;
  /** the etcd group's members, by name; default the first three mesh hosts (one if fewer) */
  etcd?: string[];
  /** more lines under all.vars, indented by 4 */
  vars?: string;
  /** more lines inside the mesh group (e.g. its vars:), indented by 6 */
  meshExtra?: string;
  /** more groups under children, indented by 4 */
  groups?: string;
}

/** An inventory of lab hosts in groups mesh and etcd, reached as the lab's own inventory reaches them. */
export function meshInventory(lab: LabInfo, o: MeshInventoryOptions = {}): string {
  const mesh = o.mesh ?? lab.hosts;
  const etcd = o.etcd ?? mesh.slice(0, mesh.length >= 3 ? 3 : 1).map((h) => h.name);
  return `all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: ${lab.dir}/id_ed25519
    bgpmesh_known_hosts: ${lab.knownHostsFile}
${o.vars ?? ""}  children:
    mesh:
      hosts:
${mesh.map((h, i) => `        ${h.name}: { ansible_host: ${h.address}${o.hostVars?.(h, i) ?? ""} }`).join("\n")}
${o.meshExtra ?? ""}    etcd:
      hosts:
${etcd.map((n) => `        ${n}:`).join("\n")}
${o.groups ?? ""}`;
}
