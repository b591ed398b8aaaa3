// The mesh's derived variables. The roles need, for every host, values computed from the whole
// inventory: mesh addresses (assigned when not set), router ids, tinc names, the etcd member list.
// They fill in only what the inventory leaves unset, and the mistakes that would break the mesh
// (two hosts with one address or router id, an etcd group that cannot keep a quorum) are
// inventory errors naming file:line.
import { createHash } from "node:crypto";
import { hostsOf, InventoryError, type Inventory, type VarDef, type VarSet } from "../inventory/index.js";
import { allocationSchema } from "../fields/allocation.js";
import { formatIpv4, ipv4ToNumber, isHostAddress, isRouterId, isUnicastIpv4, MAX_PREFIXES, parseCidr, parseSubnet, type Cidr, type Subnet } from "../fields/ipv4.js";
import { describeIssues } from "../fields/issues.js";
import { BFD_INTERVAL_MS, BGP_GRACEFUL_RESTART_TIME, BGP_HOLD_TIME, BGP_KEEPALIVE_TIME, BIRD_GRACEFUL_RESTART_WAIT, keepaliveFitsHold } from "../fields/bird.js";
import { cidrContains, formatPrefixRange, parsePrefixRange, type PrefixRange } from "../fields/prefix-range.js";
import { MESH_NAME } from "../fields/names.js";
import { defaultLeaseTtl, LEASE_TTL } from "../fields/lease.js";
import { isWholeIn, type WholeRange } from "../fields/range.js";
import { defaultKeyExpire, endpointAddressField, TINC_KEY_EXPIRE } from "../fields/tinc.js";
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

function errorAt(def: VarDef | undefined, inv: Inventory, host: string, key: string, problem: string): InventoryError {
  const o = def?.origin;
  return new InventoryError({ file: o?.file ?? inv.file, line: o?.line ?? 0, column: o?.column ?? 0, key, host }, `${host}: ${problem}`);
}

function text(vars: VarSet, name: string): string | undefined {
  const v = vars.get(name)?.value;
  return v === undefined || v === null ? undefined : String(v);
}

/** Inventory values only: a role default never counts as "set by the user". */
function userSet(vars: VarSet, name: string): VarDef | undefined {
  const def = vars.get(name);
  return def && def.origin.level !== "role_default" && def.value !== null && def.value !== undefined ? def : undefined;
}

/** A position in the subnet from the host name alone, so it does not move when other hosts come and go. */
function preferredOffset(host: string, usable: number): number {
  return (createHash("sha256").update(host).digest().readUInt32BE(0) % usable) + 1;
}

/** The mesh subnet: its addresses become mesh addresses, which the agent wants unicast. */
function meshSubnet(text: string): Subnet | undefined {
  const subnet = parseSubnet(text);
  return subnet && isUnicastIpv4(formatIpv4(subnet.network)) ? subnet : undefined;
}

/**
 * bgp_announce or bgp_anycast: a prefix or a list of them (the bird and agent templates take both),
 * each in the agent's spelling, none twice. Unset: an empty list.
 */
function prefixList(inv: Inventory, h: string, def: VarDef | undefined, key: string): string[] {
  if (!def || def.value === null || def.value === undefined) return [];
  const list = typeof def.value === "string" ? [def.value] : def.value;
  if (!Array.isArray(list)) throw errorAt(def, inv, h, key, "must be a prefix like 192.0.2.0/24 or a list of them");
  if (list.length > MAX_PREFIXES) throw errorAt(def, inv, h, key, `lists ${list.length} prefixes: at most ${MAX_PREFIXES}`);
  const seen = new Set<string>();
  for (const item of list) {
    const prefix = String(item);
    if (typeof item !== "string" || !parseCidr(prefix)) {
      throw errorAt(def, inv, h, key, `'${prefix}' is not an IPv4 network like 192.0.2.0/24 with no host bits set (no leading zeros)`);
    }
    if (seen.has(prefix)) throw errorAt(def, inv, h, key, `${prefix} is ${key === "bgp_announce" ? "announced" : "listed"} twice`);
    seen.add(prefix);
  }
  return list as string[];
}

/** bgp_allowed_prefixes: prefix ranges ("198.51.100.0/24 ge 26 le 28"), each with its text, none twice. */
function rangeList(inv: Inventory, h: string, def: VarDef | undefined): { range: PrefixRange; written: string }[] {
  const key = "bgp_allowed_prefixes";
  if (!def || def.value === null || def.value === undefined) return [];
  const list = typeof def.value === "string" ? [def.value] : def.value;
  if (!Array.isArray(list)) throw errorAt(def, inv, h, key, "must be a list of prefix ranges like 198.51.100.0/24 le 28");
  if (list.length > MAX_PREFIXES) throw errorAt(def, inv, h, key, `lists ${list.length} ranges: at most ${MAX_PREFIXES}`);
  const ranges = new Map<string, { range: PrefixRange; written: string }>();
  for (const item of list) {
    const parsed = typeof item === "string" ? parsePrefixRange(item) : { problem: "is not text" };
    if ("problem" in parsed) throw errorAt(def, inv, h, key, `'${String(item)}' ${parsed.problem}`);
    const same = formatPrefixRange(parsed);
    if (ranges.has(same)) throw errorAt(def, inv, h, key, `${item} is listed twice (as ${ranges.get(same)!.written})`);
    ranges.set(same, { range: parsed, written: item });
  }
  return [...ranges.values()];
}

/** A yes/no variable: true or false (also as text, as `-e key=value` gives it); unset is false. */
function flag(inv: Inventory, h: string, def: VarDef | undefined, key: string): boolean {
  const value = def?.value;
  if (value === null || value === undefined || value === false || value === "false") return false;
  if (value === true || value === "true") return true;
  throw errorAt(def, inv, h, key, "must be true or false");
}

interface Underlay {
  host: string;
  address: string;
  cidr: Cidr;
}

/**
 * Why a prefix must not be announced into the mesh, if it must not: it overlaps the mesh subnet
 * (tinc carries those addresses), or it holds an address the hosts reach each other at underneath
 * the mesh (a host would then send tinc's own packets into the mesh they make).
 */
function overlapProblem(cidr: Cidr, shown: string, subnets: Map<string, Cidr>, underlays: Underlay[]): string | undefined {
  for (const [text, subnet] of subnets) {
    if (cidrContains(cidr, subnet) || cidrContains(subnet, cidr)) {
      return `${shown} overlaps mesh_subnet ${text}: the mesh's own addresses are routed by tinc, not announced over BGP`;
    }
  }
  const u = underlays.find((x) => cidrContains(cidr, x.cidr));
  return u && `${shown} contains ${u.host}'s underlay address ${u.address}: announcing it would pull the underlay traffic into the mesh`;
}

/**
 * The prefix rules, for every mesh host, before any host is contacted: bgp_announce and
 * bgp_allowed_prefixes keep clear of the mesh subnet and of every host's underlay address, a
 * default route needs bgp_allow_default, and a prefix two hosts announce is anycast on both.
 * Each mesh host gets its bgp_allocation (src/fields/allocation.ts): what it may announce.
 */
function checkPrefixes(inv: Inventory, mesh: string[], vars: (h: string) => VarSet, underlay: (h: string) => string, derived: Map<string, Record<string, unknown>>): void {
  const subnets = new Map(mesh.map((h) => text(vars(h), "mesh_subnet") ?? "10.0.0.0/24").map((t) => [t, parseCidr(t)!]));
  const underlays = [...inv.hosts.keys()].flatMap((host) => {
    const address = underlay(host);
    const n = ipv4ToNumber(address);
    return n === undefined ? [] : [{ host, address, cidr: { network: n, prefixlen: 32 } }];
  });
  const owners = new Map<string, string>();
  const anycasts = new Map<string, Set<string>>();
  for (const h of mesh) {
    const announceDef = vars(h).get("bgp_announce");
    const anycastDef = vars(h).get("bgp_anycast");
    const allowedDef = vars(h).get("bgp_allowed_prefixes");
    const announce = prefixList(inv, h, announceDef, "bgp_announce");
    const anycast = new Set(prefixList(inv, h, anycastDef, "bgp_anycast"));
    anycasts.set(h, anycast);
    const allowed = rangeList(inv, h, allowedDef);
    const allowDefault = flag(inv, h, vars(h).get("bgp_allow_default"), "bgp_allow_default");
    const defaultRoute = (shown: string) => `${shown} is a default route: set bgp_allow_default: true on ${h} to announce it`;

    for (const prefix of announce) {
      const cidr = parseCidr(prefix)!;
      if (cidr.prefixlen === 0) {
        if (!allowDefault) throw errorAt(announceDef, inv, h, "bgp_announce", defaultRoute(prefix));
        continue;
      }
      const problem = overlapProblem(cidr, prefix, subnets, underlays);
      if (problem) throw errorAt(announceDef, inv, h, "bgp_announce", problem);
    }
    for (const { range, written: shown } of allowed) {
      const cidr = parseCidr(range.prefix)!;
      if (cidr.prefixlen === 0 && range.ge === 0 && !allowDefault) throw errorAt(allowedDef, inv, h, "bgp_allowed_prefixes", defaultRoute(shown));
      if (range.le === 0) continue; // the default route alone, allowed
      const problem = overlapProblem(cidr, shown, subnets, underlays);
      if (problem) throw errorAt(allowedDef, inv, h, "bgp_allowed_prefixes", problem);
    }
    for (const prefix of anycast) {
      if (!announce.includes(prefix)) {
        throw errorAt(anycastDef, inv, h, "bgp_anycast", `${prefix} is not in ${h}'s bgp_announce: an anycast prefix is one the host announces`);
      }
    }
    for (const prefix of announce) {
      const other = owners.get(prefix);
      if (other === undefined) owners.set(prefix, h);
      else if (!anycast.has(prefix) || !anycasts.get(other)!.has(prefix)) {
        throw errorAt(announceDef, inv, h, "bgp_announce", `${prefix} is also announced by ${other}: list it in bgp_anycast of both hosts to announce it from both`);
      }
    }

    const d = derived.get(h)!;
    const exact = announce.map((prefix) => ({ prefix, ge: parseCidr(prefix)!.prefixlen, le: parseCidr(prefix)!.prefixlen }));
    const unique = new Map([...exact, ...allowed.map((a) => a.range)].map((r) => [`${r.prefix} ${r.ge} ${r.le}`, r]));
    const order = (r: PrefixRange) => [parseCidr(r.prefix)!.network, parseCidr(r.prefix)!.prefixlen, r.ge, r.le];
    const prefixes = [...unique.values()].sort((a, b) => {
      const [x, y] = [order(a), order(b)];
      return x.map((v, i) => v - y[i]!).find((diff) => diff !== 0) ?? 0;
    });
    const allocation = {
      version: 1,
      name: String(userSet(vars(h), "tinc_name")?.value ?? d["tinc_name"]),
      meshAddress: String(userSet(vars(h), "mesh_address")?.value ?? d["mesh_address"]),
      routerId: String(d["router_id"]),
      prefixes,
      ...(d["bgp_route_reflector"] === true && { routeReflector: true }),
    };
    const checked = allocationSchema.safeParse(allocation);
    if (!checked.success) {
      throw errorAt(undefined, inv, h, "bgp_allocation", `the derived allocation is invalid: ${describeIssues(checked.error.issues, allocation).join("; ")}`);
    }
    d["bgp_allocation"] = checked.data;
  }
}

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
      const problem = `'${address}' cannot be the address other nodes' tinc connects to: use a unicast IPv4 address or a DNS name (not localhost; set tinc_address)`;
      throw errorAt(own ?? userSet(vars(h), "ansible_host"), inv, h, own ? "tinc_address" : "ansible_host", problem);
    }
    Object.assign(derived.get(h)!, { tinc_address: address, tinc_name: name });
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
      peer_url: `${scheme(h)}://${address}:${port(h, "etcd_peer_port", 2380)}`,
      client_url: `${scheme(h)}://${address}:${port(h, "etcd_client_port", 2379)}`,
    };
  });
  for (const [h, d] of derived) {
    Object.assign(d, {
      etcd_members: etcdMembers,
      etcd_initial_cluster: etcdMembers.map((m) => `${m.name}=${m.peer_url}`).join(","),
      etcd_endpoints: etcdMembers.map((m) => m.client_url).join(","),
      etcd_member: members.includes(h),
      etcd_address: underlay(h),
      etcd_tls: tls(h),
    });
  }
  return derived;
}
