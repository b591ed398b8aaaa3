// The mesh as a host × peer matrix, and whether it has converged.
import { birdProtocolName } from "../fields/bird.js";
import type { HostView } from "./observe.js";

export interface MeshNode {
  host: string;
  /** the BGP protocol name other nodes give this one (the agent's naming) */
  protocol: string;
  meshAddress: string;
  announces: string[];
}

/** The mesh hosts as verify checks them, from their template variables (derived ones included). */
export function meshNodes(hosts: readonly string[], values: ReadonlyMap<string, Record<string, unknown>>): MeshNode[] {
  return hosts.map((h) => {
    const v = values.get(h) ?? {};
    const announce = v["bgp_announce"];
    return {
      host: h,
      // The agent's own rule (it hashes names over 50 characters), not a copy of it.
      protocol: birdProtocolName(String(v["tinc_name"])),
      meshAddress: String(v["mesh_address"]),
      announces: Array.isArray(announce) ? announce.map(String) : announce ? [String(announce)] : [],
    };
  });
}

export interface Verdict {
  converged: boolean;
  problems: string[];
  table: string;
}

export function judge(nodes: MeshNode[], views: Map<string, HostView | string>, etcd: { healthy: number; members: number }): Verdict {
  const problems: string[] = [];
  const width = Math.max(6, ...nodes.map((n) => n.host.length)) + 2;
  const lines = ["".padEnd(width) + nodes.map((n) => n.host.padEnd(width)).join("")];
  for (const from of nodes) {
    const view = views.get(from.host);
    const cells = nodes.map((to) => {
      if (to === from) return "-".padEnd(width);
      if (typeof view !== "object") return "??".padEnd(width);
      const bgp = view.bgp[to.protocol] === true;
      const ping = view.ping[to.meshAddress] === true;
      const routes = to.announces.every((p) => view.routes.includes(p));
      if (!bgp) problems.push(`${from.host}: BGP session with ${to.host} is not Established`);
      if (!ping) problems.push(`${from.host}: no ping reply from ${to.host} (${to.meshAddress}) over the mesh`);
      if (!routes) problems.push(`${from.host}: routes announced by ${to.host} are not in the kernel`);
      return `${bgp ? "B" : "b"}${ping ? "P" : "p"}${routes ? "R" : "r"}`.padEnd(width);
    });
    if (typeof view === "string") problems.push(`${from.host}: ${view}`);
    lines.push(from.host.padEnd(width) + cells.join(""));
  }
  if (etcd.healthy < etcd.members) problems.push(`etcd: ${etcd.healthy} of ${etcd.members} members healthy`);
  lines.push("", "B: BGP session Established, P: ping over tinc answered, R: the peer's announced routes in the kernel (lower case: not)");
  lines.push(`etcd: ${etcd.healthy} of ${etcd.members} members healthy`);
  return { converged: problems.length === 0, problems, table: lines.join("\n") };
}
