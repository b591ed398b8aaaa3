// The prefix rules of the mesh, checked before any host is contacted: what bgp_announce,
// bgp_anycast and bgp_allowed_prefixes may hold (either family), what they must keep clear of, and
// each host's allocations (src/fields/allocation.ts) for the controller to publish.
import type { Inventory, VarDef, VarSet } from "../inventory/index.js";
import { allocation6Schema, allocationSchema } from "../fields/allocation.js";
import { MAX_PREFIXES } from "../fields/ipv4.js";
import { canonicalIpv6 } from "../fields/ipv6.js";
import { describeIssues } from "../fields/issues.js";
import { parsePrefix, prefixContains, type Prefix } from "../fields/prefix.js";
import { compareRanges, formatPrefixRange, parsePrefixRange, type PrefixRange } from "../fields/prefix-range.js";
import { errorAt, flag, text, userSet } from "./inventory-values.js";

/**
 * bgp_announce or bgp_anycast: a prefix or a list of them (the bird and agent templates take both),
 * each in the agent's spelling, none twice. Unset: an empty list.
 */
function prefixList(inv: Inventory, h: string, def: VarDef | undefined, key: string): string[] {
  if (!def || def.value === null || def.value === undefined) return [];
  const list = typeof def.value === "string" ? [def.value] : def.value;
  if (!Array.isArray(list)) throw errorAt(def, inv, h, key, "must be a prefix like 192.0.2.0/24 or 2001:db8::/48, or a list of them");
  if (list.length > MAX_PREFIXES) throw errorAt(def, inv, h, key, `lists ${list.length} prefixes: at most ${MAX_PREFIXES}`);
  const seen = new Set<string>();
  for (const item of list) {
    const prefix = String(item);
    if (typeof item !== "string" || !parsePrefix(prefix)) {
      const shortest = prefix.includes("/") ? canonicalIpv6(prefix.slice(0, prefix.indexOf("/"))) : undefined;
      const hint = shortest && `${shortest}${prefix.slice(prefix.indexOf("/"))}` !== prefix ? ` (write it ${shortest}${prefix.slice(prefix.indexOf("/"))})` : "";
      throw errorAt(def, inv, h, key, `'${prefix}' is not a network like 192.0.2.0/24 or 2001:db8::/48 with no host bits set (no leading zeros, IPv6 in its shortest form)${hint}`);
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

interface Underlay {
  host: string;
  address: string;
  cidr: Prefix;
}

/**
 * Why a prefix must not be announced into the mesh, if it must not: it overlaps the mesh subnet
 * (tinc carries those addresses), or it holds an address the hosts reach each other at underneath
 * the mesh (a host would then send tinc's own packets into the mesh they make).
 */
function overlapProblem(cidr: Prefix, shown: string, subnets: Map<string, Prefix>, underlays: Underlay[]): string | undefined {
  for (const [text, subnet] of subnets) {
    if (prefixContains(cidr, subnet) || prefixContains(subnet, cidr)) {
      return `${shown} overlaps ${subnet.family === 6 ? "mesh_subnet6" : "mesh_subnet"} ${text}: the mesh's own addresses are routed by tinc, not announced over BGP`;
    }
  }
  const u = underlays.find((x) => prefixContains(cidr, x.cidr));
  return u && `${shown} contains ${u.host}'s underlay address ${u.address}: announcing it would pull the underlay traffic into the mesh`;
}

/**
 * The prefix rules, for every mesh host, before any host is contacted: bgp_announce and
 * bgp_allowed_prefixes keep clear of the mesh subnet and of every host's underlay address, a
 * default route needs bgp_allow_default, and a prefix two hosts announce is anycast on both.
 * Each mesh host gets its bgp_allocation (src/fields/allocation.ts): what it may announce.
 */
export function checkPrefixes(inv: Inventory, mesh: string[], vars: (h: string) => VarSet, underlay: (h: string) => string, derived: Map<string, Record<string, unknown>>): void {
  const subnets = new Map(
    mesh.flatMap((h) => [text(vars(h), "mesh_subnet") ?? "10.0.0.0/24", ...(derived.get(h)!["mesh_ipv6"] ? [String(derived.get(h)!["mesh_subnet6"])] : [])]).map((t) => [t, parsePrefix(t)!]),
  );
  const underlays = [...inv.hosts.keys()].flatMap((host) => {
    const address = underlay(host);
    const cidr = parsePrefix(`${address}/${address.includes(":") ? 128 : 32}`);
    return cidr ? [{ host, address, cidr }] : [];
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

    const ipv6 = derived.get(h)!["mesh_ipv6"] === true;
    const needsIpv6 = (shown: string) => `${shown} is IPv6: set mesh_ipv6: true on ${h} to announce IPv6 prefixes`;
    for (const prefix of announce) {
      const cidr = parsePrefix(prefix)!;
      if (cidr.family === 6 && !ipv6) throw errorAt(announceDef, inv, h, "bgp_announce", needsIpv6(prefix));
      if (cidr.prefixlen === 0) {
        if (!allowDefault) throw errorAt(announceDef, inv, h, "bgp_announce", defaultRoute(prefix));
        continue;
      }
      const problem = overlapProblem(cidr, prefix, subnets, underlays);
      if (problem) throw errorAt(announceDef, inv, h, "bgp_announce", problem);
    }
    for (const { range, written: shown } of allowed) {
      const cidr = parsePrefix(range.prefix)!;
      if (cidr.family === 6 && !ipv6) throw errorAt(allowedDef, inv, h, "bgp_allowed_prefixes", needsIpv6(shown));
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
    const exact = announce.map((prefix) => ({ prefix, ge: parsePrefix(prefix)!.prefixlen, le: parsePrefix(prefix)!.prefixlen }));
    const unique = new Map([...exact, ...allowed.map((a) => a.range)].map((r) => [`${r.prefix} ${r.ge} ${r.le}`, r]));
    const prefixes = [...unique.values()].sort(compareRanges);
    const ofFamily = (family: 4 | 6) => (r: PrefixRange) => parsePrefix(r.prefix)!.family === family;
    // The templates take each family's announcements on their own (BIRD has a static protocol per family).
    d["bgp_announce_ipv4"] = announce.filter((p) => parsePrefix(p)!.family === 4);
    d["bgp_announce_ipv6"] = announce.filter((p) => parsePrefix(p)!.family === 6);
    const name = String(userSet(vars(h), "tinc_name")?.value ?? d["tinc_name"]);
    const allocation = {
      version: 1,
      name,
      meshAddress: String(userSet(vars(h), "mesh_address")?.value ?? d["mesh_address"]),
      routerId: String(d["router_id"]),
      prefixes: prefixes.filter(ofFamily(4)),
      ...(d["bgp_route_reflector"] === true && { routeReflector: true }),
    };
    d["bgp_allocation"] = checkedAllocation(inv, h, "bgp_allocation", allocationSchema, allocation);
    if (ipv6) {
      const allocation6 = { version: 1, name, meshAddress6: String(d["mesh_address6"]), prefixes: prefixes.filter(ofFamily(6)) };
      d["bgp_allocation6"] = checkedAllocation(inv, h, "bgp_allocation6", allocation6Schema, allocation6);
    }
  }
}

/** The allocation as the agents will read it, checked by their own schema. */
function checkedAllocation<T>(inv: Inventory, h: string, key: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Parameters<typeof describeIssues>[0] } } }, value: unknown): T {
  const checked = schema.safeParse(value);
  if (!checked.success) throw errorAt(undefined, inv, h, key, `the derived allocation is invalid: ${describeIssues(checked.error.issues, value).join("; ")}`);
  return checked.data;
}
