// The mesh's derived variables. The roles need, for every host, values computed from the whole
// inventory: mesh addresses (assigned when not set), router ids, tinc names, the etcd member list.
// They fill in only what the inventory leaves unset, and the mistakes that would break the mesh
// (two hosts with one address or router id, an etcd group that cannot keep a quorum) are
// inventory errors naming file:line.
import { createHash } from "node:crypto";
import { hostsOf, InventoryError, type Inventory, type VarSet } from "../inventory/index.js";
import { formatIpv4, ipv4ToNumber, isHostAddress, isRouterId, isUnicastIpv4, parseSubnet, type Subnet } from "../fields/ipv4.js";
import { canonicalIpv6, derivedSubnet6, formatIpv6, ipv6ToBigInt, isHostAddress6, isUnicastIpv6, parseSubnet6 } from "../fields/ipv6.js";
import { BFD_INTERVAL_MS, BGP_GRACEFUL_RESTART_TIME, BGP_HOLD_TIME, BGP_KEEPALIVE_TIME, BIRD_GRACEFUL_RESTART_WAIT, keepaliveFitsHold } from "../fields/bird.js";
import { MESH_NAME } from "../fields/names.js";
import { defaultLeaseTtl, LEASE_TTL } from "../fields/lease.js";
import { isWholeIn, type WholeRange } from "../fields/range.js";
import { defaultKeyExpire, endpointAddressField, TINC_KEY_EXPIRE } from "../fields/tinc.js";
import { errorAt, flag, text, userSet } from "./inventory-values.js";
import { checkPrefixes } from "./prefix-rules.js";
import { checkReflectors, reflectorHosts } from "./reflectors.js";

/** Whole-number settings of a mesh host, their ranges, and the defaults that grow with the mesh. */
const WHOLE_NUMBER_SETTINGS: readonly { key: string; range: WholeRange; unit: string; bySize?: (nodes: number) => number }[] = [
  { key: "tinc_key_expire", range: TINC_KEY_EXPIRE, unit: "seconds", bySize: defaultKeyExpire },
  { key: "bird_bfd_interval", range: BFD_INTERVAL_MS, unit: "milliseconds" },
  { key: "agent_lease_ttl", range: LEASE_TTL, unit: "seconds", bySize: defaultLeaseTtl },
  { key: "bgp_hold_time", range: BGP_HOLD_TIME, unit: "seconds" },
  { key: "bgp_keepalive_time", range: BGP_KEEPALIVE_TIME, unit: "seconds" },
  { key: "bgp_graceful_restart_time", range: BGP_GRACEFUL_RESTART_TIME, unit: "seconds" },
  { key: "bird_graceful_restart_wait", range: BIRD_GRACEFUL_RESTART_WAIT, unit: "seconds" },
];

export const MESH_GROUP = "mesh";
export const ETCD_GROUP = "etcd";

type Resolved = Map<string, VarSet>;

/** A position in the subnet from the host name alone, so it does not move when other hosts come and go. */
function preferredOffset(host: string, usable: number): number {
  return (createHash("sha256").update(host).digest().readUInt32BE(0) % usable) + 1;
}

/** The mesh subnet: its addresses become mesh addresses, which the agent wants unicast. */
function meshSubnet(text: string): Subnet | undefined {
  const subnet = parseSubnet(text);
  return subnet && isUnicastIpv4(formatIpv4(subnet.network)) ? subnet : undefined;
}

/** An address as the host part of a URL or a `host:port` target: an IPv6 address in brackets. */
const urlHost = (address: string): string => (address.includes(":") ? `[${address}]` : address);

export function deriveMeshVars(inv: Inventory, resolved: Resolved): Map<string, Record<string, unknown>> {
  const derived = new Map<string, Record<string, unknown>>([...inv.hosts.keys()].map((h) => [h, {}]));
  const mesh = inv.groups.has(MESH_GROUP) ? hostsOf(inv, MESH_GROUP) : [];
  const vars = (h: string) => resolved.get(h)!;
  // etcd_tls (true unless the inventory says otherwise) makes every URL https; false keeps plain http.
  const tls = (h: string) => !["false", "no", "off", "0"].includes((text(vars(h), "etcd_tls") ?? "true").toLowerCase());

  // Underlay address and tinc name for every mesh host (and every etcd member).
  const underlay = (h: string) => text(vars(h), "tinc_address") ?? text(vars(h), "ansible_host") ?? h;
  const tincNames = new Map<string, string>();
  for (const h of mesh) {
    const name = h.replace(/[^A-Za-z0-9_]/g, "_");
    const clash = [...tincNames].find(([, n]) => n === name);
    if (clash) throw errorAt(undefined, inv, h, "tinc_name", `tinc name '${name}' is also ${clash[0]}'s: rename one of the hosts`);
    tincNames.set(h, name);
    // Checked as the agents check the endpoint in a record: one they would refuse leaves this node
    // out of the mesh (and its own agent refusing its config).
    const address = underlay(h);
    if (!endpointAddressField.safeParse(address).success) {
      const own = userSet(vars(h), "tinc_address");
      // One spelling per address (src/fields/ipv6.ts): another would render other bytes on every
      // node, and the agents compare endpoints as text.
      const shortest = canonicalIpv6(address);
      const problem =
        shortest !== undefined && shortest !== address
          ? `'${address}' is an IPv6 address not in its shortest form: write ${shortest}`
          : `'${address}' cannot be the address other nodes' tinc connects to: use a unicast IPv4 or IPv6 address or a DNS name (not localhost; set tinc_address)`;
      throw errorAt(own ?? userSet(vars(h), "ansible_host"), inv, h, own ? "tinc_address" : "ansible_host", problem);
    }
    Object.assign(derived.get(h)!, { tinc_address: address, tinc_url_host: urlHost(address), tinc_name: name });
  }

  for (const h of mesh) {
    const net = text(vars(h), "mesh_name") ?? "bgpmesh";
    if (!MESH_NAME.test(net)) {
      throw errorAt(vars(h).get("mesh_name"), inv, h, "mesh_name", `'${net}' cannot be a tinc network name: use up to 15 letters, digits or _`);
    }
    // Checked here, not when a daemon reads them: tinc_key_expire, for one, is in the tinc.conf
    // seeded once, before the agent that also checks it starts.
    for (const { key, range, unit, bySize } of WHOLE_NUMBER_SETTINGS) {
      const def = userSet(vars(h), key);
      if (def && !isWholeIn(def.value, range)) {
        throw errorAt(def, inv, h, key, `'${String(def.value)}' is not a number of ${unit} from ${range.min} to ${range.max}`);
      }
      if (!def && bySize) derived.get(h)![key] = bySize(mesh.length);
    }
    // As the agent's config checks it (fields/bird.ts); unset on a host without the agent role.
    const hold = Number(vars(h).get("bgp_hold_time")?.value);
    const keepalive = Number(vars(h).get("bgp_keepalive_time")?.value);
    if (Number.isFinite(hold) && Number.isFinite(keepalive) && !keepaliveFitsHold(hold, keepalive)) {
      const key = userSet(vars(h), "bgp_keepalive_time") ? "bgp_keepalive_time" : "bgp_hold_time";
      throw errorAt(vars(h).get(key), inv, h, key, `bgp_keepalive_time (${keepalive}) must be at most a third of bgp_hold_time (${hold})`);
    }
  }

  // Mesh addresses: explicit ones first, then each other host at its preferred place or the next free one.
  const taken = new Map<number, string>();
  const pending: string[] = [];
  for (const h of mesh) {
    const subnetText = text(vars(h), "mesh_subnet") ?? "10.0.0.0/24";
    const subnet = meshSubnet(subnetText);
    if (!subnet) {
      throw errorAt(vars(h).get("mesh_subnet"), inv, h, "mesh_subnet", `'${subnetText}' is not an IPv4 subnet like 10.0.0.0/24 (unicast, prefix /8 to /30, no leading zeros)`);
    }
    derived.get(h)!["mesh_prefixlen"] = subnet.prefixlen;
    const def = userSet(vars(h), "mesh_address");
    if (!def) {
      pending.push(h);
      continue;
    }
    // The agent's rule for its meshAddress (unicast, no leading zeros: iproute2 reads 010 as octal).
    const addr = isUnicastIpv4(String(def.value)) ? ipv4ToNumber(String(def.value)) : undefined;
    if (addr === undefined) {
      throw errorAt(def, inv, h, "mesh_address", `'${String(def.value)}' is not an IPv4 address like 10.0.0.5 (no leading zeros: iproute2 reads 010 as octal 8)`);
    }
    if (!isHostAddress(subnet, addr)) {
      throw errorAt(def, inv, h, "mesh_address", `'${String(def.value)}' is not a host address of mesh_subnet ${subnetText}`);
    }
    const other = taken.get(addr);
    if (other) throw errorAt(def, inv, h, "mesh_address", `${formatIpv4(addr)} is also ${other}'s mesh address`);
    taken.set(addr, h);
  }
  for (const h of [...pending].sort()) {
    const subnet = meshSubnet(text(vars(h), "mesh_subnet") ?? "10.0.0.0/24")!;
    const usable = subnet.size - 2;
    let offset = preferredOffset(h, usable);
    for (let tries = 0; taken.has(subnet.network + offset); tries++) {
      if (tries >= usable) throw errorAt(vars(h).get("mesh_subnet"), inv, h, "mesh_subnet", "no free address left in mesh_subnet");
      offset = (offset % usable) + 1;
    }
    taken.set(subnet.network + offset, h);
    derived.get(h)!["mesh_address"] = formatIpv4(subnet.network + offset);
  }

  // IPv6 mesh addresses (mesh_ipv6: true), as the IPv4 ones: pinned ones first, then each other host
  // at its preferred place in mesh_subnet6 or the next free one. The place is taken from the first
  // 65534 addresses, so an address reads short (fd90:91b4:498c::3a7), like a host part of the IPv4 one.
  const taken6 = new Map<bigint, string>();
  const pending6: string[] = [];
  for (const h of mesh) {
    const d = derived.get(h)!;
    d["mesh_ipv6"] = flag(inv, h, vars(h).get("mesh_ipv6"), "mesh_ipv6");
    const def = userSet(vars(h), "mesh_address6");
    if (!d["mesh_ipv6"]) {
      // Templates take mesh_address6 being defined as "this host has IPv6": a pinned one must mean it.
      if (def) throw errorAt(def, inv, h, "mesh_address6", "is set but mesh_ipv6 is not true: set mesh_ipv6: true for IPv6 on the mesh");
      continue;
    }
    const subnetDef = userSet(vars(h), "mesh_subnet6");
    const subnetText = subnetDef ? String(subnetDef.value) : derivedSubnet6(text(vars(h), "mesh_name") ?? "bgpmesh");
    const subnet = parseSubnet6(subnetText);
    if (!subnet) {
      const shortest = canonicalIpv6(subnetText.split("/")[0]!);
      const hint = shortest && `${shortest}/64` !== subnetText && subnetText.endsWith("/64") ? `: write it ${shortest}/64` : "";
      throw errorAt(subnetDef, inv, h, "mesh_subnet6", `'${subnetText}' is not an IPv6 /64 like fd12:3456:789a::/64 (unicast, no host bits set, shortest form)${hint}`);
    }
    d["mesh_subnet6"] = subnetText;
    if (!def) {
      pending6.push(h);
      continue;
    }
    const value = String(def.value);
    if (!isUnicastIpv6(value)) {
      const shortest = canonicalIpv6(value);
      const problem = shortest && shortest !== value ? `'${value}' is not in its shortest form: write ${shortest}` : `'${value}' is not a unicast IPv6 address like fd12:3456:789a::5`;
      throw errorAt(def, inv, h, "mesh_address6", problem);
    }
    const addr = ipv6ToBigInt(value)!;
    if (!isHostAddress6(subnet, addr)) throw errorAt(def, inv, h, "mesh_address6", `'${value}' is not a host address of mesh_subnet6 ${subnetText}`);
    const other = taken6.get(addr);
    if (other) throw errorAt(def, inv, h, "mesh_address6", `${value} is also ${other}'s IPv6 mesh address`);
    taken6.set(addr, h);
    d["mesh_address6"] = value;
  }
  const PLACES6 = 65534;
  for (const h of [...pending6].sort()) {
    const subnet = parseSubnet6(String(derived.get(h)!["mesh_subnet6"]))!;
    let offset = preferredOffset(h, PLACES6);
    for (let tries = 0; taken6.has(subnet.network + BigInt(offset)); tries++) {
      if (tries >= PLACES6) throw errorAt(vars(h).get("mesh_subnet6"), inv, h, "mesh_subnet6", "no free address left in mesh_subnet6");
      offset = (offset % PLACES6) + 1;
    }
    taken6.set(subnet.network + BigInt(offset), h);
    derived.get(h)!["mesh_address6"] = formatIpv6(subnet.network + BigInt(offset));
  }

  // The tap interface's MAC, from the mesh address (unique in the mesh): tinc makes a random one at
  // every start, and peers would keep sending to the old one (ARP caches, tinc's MAC table for
  // MACExpire) after a node reboots. 02: a locally administered unicast address.
  for (const h of mesh) {
    const addr = String(userSet(vars(h), "mesh_address")?.value ?? derived.get(h)!["mesh_address"]);
    const octets = addr.split(".").map((o) => Number(o).toString(16).padStart(2, "0"));
    derived.get(h)!["mesh_mac"] = ["02", "b6", ...octets].join(":");
  }

  // Router ids: the mesh address unless set, and never shared.
  const routerIds = new Map<string, string>();
  for (const h of mesh) {
    const def = userSet(vars(h), "router_id");
    const id = def ? String(def.value) : String(userSet(vars(h), "mesh_address")?.value ?? derived.get(h)!["mesh_address"]);
    if (def && !isRouterId(id)) throw errorAt(def, inv, h, "router_id", `'${id}' is not an IPv4 address (BIRD's router id: no leading zeros, not 0.0.0.0)`);
    const other = routerIds.get(id);
    if (other) throw errorAt(def, inv, h, "router_id", `${id} is also ${other}'s router id`);
    routerIds.set(id, h);
    derived.get(h)!["router_id"] = id;
  }

  // Announced prefixes: the agent's rule for its "prefixes" (it refuses its whole config over one
  // bad prefix), and the rules of the mesh as a whole, checked here so that the run stops before
  // any host is contacted.
  checkReflectors(inv, mesh, vars, tls);
  const reflectors = new Set(reflectorHosts(inv));
  for (const h of mesh) derived.get(h)!["bgp_route_reflector"] = reflectors.has(h);
  checkPrefixes(inv, mesh, vars, underlay, derived);

  // etcd: an odd number of members keeps a quorum through the loss of one (or two, with five).
  const members = inv.groups.has(ETCD_GROUP) ? hostsOf(inv, ETCD_GROUP) : [];
  if (members.length % 2 === 0 && members.length > 0) {
    const g = inv.groups.get(ETCD_GROUP)!;
    throw new InventoryError(
      { ...g.defined, key: ETCD_GROUP },
      `group etcd has ${members.length} hosts (${members.join(", ")}): etcd needs an odd number of members (1, 3 or 5) to keep a quorum`,
    );
  }
  const port = (h: string, name: string, fallback: number) => Number(text(vars(h), name) ?? fallback);
  const scheme = (h: string) => (tls(h) ? "https" : "http");
  const etcdMembers = members.map((h) => {
    const address = underlay(h);
    return {
      name: h,
      address,
      url_host: urlHost(address),
      peer_url: `${scheme(h)}://${urlHost(address)}:${port(h, "etcd_peer_port", 2380)}`,
      client_url: `${scheme(h)}://${urlHost(address)}:${port(h, "etcd_client_port", 2379)}`,
    };
  });
  for (const [h, d] of derived) {
    Object.assign(d, {
      etcd_members: etcdMembers,
      etcd_initial_cluster: etcdMembers.map((m) => `${m.name}=${m.peer_url}`).join(","),
      etcd_endpoints: etcdMembers.map((m) => m.client_url).join(","),
      etcd_member: members.includes(h),
      etcd_address: underlay(h),
      etcd_url_host: urlHost(underlay(h)),
      etcd_tls: tls(h),
    });
  }
  return derived;
}
