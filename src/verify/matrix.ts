// The mesh as a host × peer matrix, and whether it has converged: one matrix for IPv4 and, when
// some hosts have IPv6 (mesh_ipv6), one for IPv6 over those hosts.
import { allocation6Schema, allocationSchema } from "../fields/allocation.js";
import { birdProtocolName } from "../fields/bird.js";
import { familyOf, parsePrefix, type Family } from "../fields/prefix.js";
import { rangeCovers, type PrefixRange } from "../fields/prefix-range.js";
import { bgpRole, hasSession, type BgpRole } from "../fields/topology.js";
import type { HostView } from "./observe.js";

/** A host in one family's matrix. */
export interface FamilyNode {
  /** the BGP protocol name other nodes give this one's session of the family (the agent's naming) */
  protocol: string;
  meshAddress: string;
  announces: string[];
  /** what it may announce (its allocation's ranges): a route it sends within them is its own */
  allowed?: PrefixRange[];
}

export interface MeshNode extends FamilyNode {
  host: string;
  /** full mesh, reflector or client: two clients have no session (src/fields/topology.ts) */
  role: BgpRole;
  /** the same for IPv6, on a host with mesh_ipv6 */
  v6?: FamilyNode;
}

/** The mesh hosts as verify checks them, from their template variables (derived ones included). */
export function meshNodes(hosts: readonly string[], values: ReadonlyMap<string, Record<string, unknown>>): MeshNode[] {
  const reflects = (h: string) => values.get(h)?.["bgp_route_reflector"] === true;
  const reflectors = hosts.filter(reflects).length;
  return hosts.map((h) => {
    const v = values.get(h) ?? {};
    const announce = v["bgp_announce"];
    const announces = Array.isArray(announce) ? announce.map(String) : announce ? [String(announce)] : [];
    const allocation = allocationSchema.safeParse(v["bgp_allocation"]);
    const allocation6 = allocation6Schema.safeParse(v["bgp_allocation6"]);
    const name = String(v["tinc_name"]);
    return {
      host: h,
      // The agent's own rule (it hashes names over 50 characters), not a copy of it.
      protocol: birdProtocolName(name),
      meshAddress: String(v["mesh_address"]),
      announces: announces.filter((p) => familyOf(p) === 4),
      ...(allocation.success && { allowed: allocation.data.prefixes }),
      role: bgpRole(reflects(h), reflectors),
      ...(v["mesh_address6"] !== undefined && {
        v6: {
          protocol: birdProtocolName(name, 6),
          meshAddress: String(v["mesh_address6"]),
          announces: announces.filter((p) => familyOf(p) === 6),
          ...(allocation6.success && { allowed: allocation6.data.prefixes }),
        },
      }),
    };
  });
}

export interface Verdict {
  converged: boolean;
  problems: string[];
  table: string;
}

interface Row extends FamilyNode {
  host: string;
  role: BgpRole;
}

export function judge(nodes: MeshNode[], views: Map<string, HostView | string>, etcd: { healthy: number; members: number }): Verdict {
  const problems: string[] = [];
  const lines: string[] = [];
  const with6 = nodes.filter((n) => n.v6);
  const families: [Family, Row[]][] = [[4, nodes]];
  if (with6.length > 0) families.push([6, with6.map((n) => ({ ...n.v6!, host: n.host, role: n.role }))]);
  for (const [family, rows] of families) {
    if (families.length > 1) lines.push(`IPv${family}:`);
    lines.push(...familyMatrix(family, rows, views, problems), "");
  }
  for (const n of nodes) {
    const view = views.get(n.host);
    if (typeof view === "string") problems.push(`${n.host}: ${view}`);
  }
  lines.push(
    "B: BGP session Established (-: none, both are clients of the route reflectors), P: ping over tinc answered, R: the peer's announced routes in the kernel via the peer, and no route via it that the inventory does not announce (lower case: not)",
  );
  lines.push(`etcd: ${etcd.healthy} of ${etcd.members} members healthy`);
  if (etcd.healthy < etcd.members) problems.push(`etcd: ${etcd.healthy} of ${etcd.members} members healthy`);
  return { converged: problems.length === 0, problems, table: lines.join("\n") };
}

/** One family's matrix lines; its problems are added to `problems` (named "IPv6" for that family). */
function familyMatrix(family: Family, nodes: Row[], views: Map<string, HostView | string>, problems: string[]): string[] {
  const v = family === 6 ? "IPv6 " : "";
  const width = Math.max(6, ...nodes.map((n) => n.host.length)) + 2;
  const lines = ["".padEnd(width) + nodes.map((n) => n.host.padEnd(width)).join("")];
  const byAddress = new Map(nodes.map((n) => [n.meshAddress, n]));
  const owners = new Map<string, Row[]>();
  for (const n of nodes) for (const p of n.announces) owners.set(p, [...(owners.get(p) ?? []), n]);
  // The nodes a route to `dest` may rightly go via: those announcing it, or allowed to.
  const rightfulFor = (dest: string) => {
    const cidr = parsePrefix(dest);
    const allowed = cidr ? nodes.filter((n) => n.allowed?.some((r) => rangeCovers(r, cidr))) : [];
    return [...new Set([...(owners.get(dest) ?? []), ...allowed])];
  };
  const named = (address: string) => `${address}${byAddress.has(address) ? ` (${byAddress.get(address)!.host})` : ""}`;
  for (const from of nodes) {
    const view = views.get(from.host);
    // Routes in from's kernel that no announcement of the inventory accounts for: each marks the
    // node it goes via (a hijack or a bogus announcement), and is said in a line of its own.
    const suspect = new Set<string>();
    if (typeof view === "object") {
      for (const dest of view.routes.filter((d) => familyOf(d) === family)) {
        const via = view.nextHops[dest] ?? [];
        const rightful = rightfulFor(dest);
        for (const hop of via) {
          if (rightful.some((o) => o.meshAddress === hop)) continue;
          suspect.add(hop);
          problems.push(
            rightful.length
              ? `${from.host}: route ${dest} goes via ${named(hop)}, not via its owner ${rightful.map((o) => o.host).join(", ")}`
              : `${from.host}: route ${dest} via ${named(hop)} is announced by no node of the inventory`,
          );
        }
      }
    }
    const cells = nodes.map((to) => {
      if (to === from) return "-".padEnd(width);
      if (typeof view !== "object") return "??".padEnd(width);
      // Two clients of the reflectors have no session: "-" in place of B, and nothing missing.
      const session = hasSession(from.role, to.role);
      const bgp = view.bgp[to.protocol] === true;
      const ping = view.ping[to.meshAddress] === true;
      // An anycast prefix `from` announces too stays its own there (its static route wins in BIRD):
      // no kernel route to it is expected.
      const present = to.announces.filter((p) => !from.announces.includes(p)).every((p) => (view.nextHops[p] ?? []).includes(to.meshAddress));
      const routes = present && !suspect.has(to.meshAddress);
      if (session && !bgp) problems.push(`${from.host}: ${v}BGP session with ${to.host} is not Established`);
      if (!ping) problems.push(`${from.host}: no ping reply from ${to.host} (${to.meshAddress}) over the mesh`);
      if (!present) problems.push(`${from.host}: ${v}routes announced by ${to.host} are not in the kernel via ${to.host}`);
      return `${!session ? "-" : bgp ? "B" : "b"}${ping ? "P" : "p"}${routes ? "R" : "r"}`.padEnd(width);
    });
    lines.push(from.host.padEnd(width) + cells.join(""));
  }
  return lines;
}
