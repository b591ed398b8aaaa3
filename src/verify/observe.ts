// What `verify` asks each mesh host, in one command: the state of its BGP sessions, whether it
// reaches every other node's mesh address over tinc, and which routes BIRD put in the kernel, with
// their next hops (a route to a node's prefix must go to that node).
// The host sends `birdc show protocols` back as it is, line by line, and the controller reads it
// with the same parser as the agent and `status` (src/fields/birdc.ts): one reading of BIRD's
// table, not a second one in shell.
import { parseShowProtocols } from "../fields/birdc.js";
import { shellQuote } from "../util/shell.js";

export interface HostView {
  /** BGP protocol name → established */
  bgp: Record<string, boolean>;
  /** mesh address → answered a ping */
  ping: Record<string, boolean>;
  /** destinations of routes BIRD installed in the kernel */
  routes: string[];
  /** each of those destinations → the next hops it goes via */
  nextHops: Record<string, string[]>;
}

/** The tag of a line of `birdc -r show protocols`, sent back unchanged after it. */
const BIRDC = "BIRDC";
/** The tag of a line of `ip -o -4 route show proto bird` (one line per route, multipath hops included). */
const ROUTE = "ROUTE";
/** The same for `ip -o -6 route show proto bird`. */
const ROUTE6 = "ROUTE6";

/** Pings in flight at once on a host. */
export const PINGS_AT_ONCE = 8;

export function observeScript(peerAddresses: string[]): string {
  // A bounded number at a time: a ping each to all 99 peers at once, on every host of a 100-node
  // lab, was 9900 processes and as many ARP broadcasts flooded to every tinc node in one burst.
  // A probe every 0.5 s until one is answered or 2 s pass: at 100 nodes a round of 9900 single
  // 1 s pings on a loaded machine always lost a few (a pair's first packets go over tinc's
  // meta-connections, hop by hop, until it has the peer's key and path MTU), so verify never saw
  // every pair answer in the same round although none stayed unanswered.
  const ping = `if ping -q -c 1 -i 0.5 -w 2 "$1" >/dev/null 2>&1; then printf 'P\\t%s\\t1\\n' "$1"; else printf 'P\\t%s\\t0\\n' "$1"; fi`;
  return [
    // Every line tagged, the last one too when it has no newline; the pings start only after.
    `birdc -r show protocols 2>/dev/null | while IFS= read -r line || [ -n "$line" ]; do printf '${BIRDC}\\t%s\\n' "$line"; done`,
    ...(peerAddresses.length ? [`printf '%s\\n' ${peerAddresses.map(shellQuote).join(" ")} | xargs -n 1 -P ${PINGS_AT_ONCE} sh -c ${shellQuote(ping)} ping-peer`] : []),
    `ip -o -4 route show proto bird 2>/dev/null | while IFS= read -r line || [ -n "$line" ]; do printf '${ROUTE}\\t%s\\n' "$line"; done`,
    `ip -o -6 route show proto bird 2>/dev/null | while IFS= read -r line || [ -n "$line" ]; do printf '${ROUTE6}\\t%s\\n' "$line"; done`,
  ].join("\n");
}

/**
 * A kernel route as `ip -o route` prints it: its destination ("default" is 0.0.0.0/0, or ::/0 in
 * the IPv6 table; a host route has no /32 or /128) and every `via` (a multipath route lists one per
 * next hop; `ip -6` may write `via inet6 ADDR` for a multipath hop).
 */
export function parseRoute(line: string, family: 4 | 6 = 4): { dest: string; via: string[] } | undefined {
  const words = line.trim().split(/\s+/);
  const first = words[0];
  if (!first) return undefined;
  const host = family === 6 ? 128 : 32;
  const dest = first === "default" ? (family === 6 ? "::/0" : "0.0.0.0/0") : first.includes("/") ? first : `${first}/${host}`;
  const via = words.flatMap((w, i) => {
    if (w !== "via" || !words[i + 1]) return [];
    const hop = words[i + 1] === "inet6" || words[i + 1] === "inet" ? words[i + 2] : words[i + 1];
    return hop ? [hop] : [];
  });
  return { dest, via };
}

export function parseObservation(out: string): HostView {
  const view: HostView = { bgp: {}, ping: {}, routes: [], nextHops: {} };
  const birdc: string[] = [];
  for (const line of out.split("\n")) {
    const tab = line.indexOf("\t");
    const tag = tab < 0 ? line : line.slice(0, tab);
    if (tab >= 0 && tag === BIRDC) {
      birdc.push(line.slice(tab + 1));
      continue;
    }
    if (tab >= 0 && (tag === ROUTE || tag === ROUTE6)) {
      const route = parseRoute(line.slice(tab + 1), tag === ROUTE6 ? 6 : 4);
      if (route) {
        if (!view.routes.includes(route.dest)) view.routes.push(route.dest);
        view.nextHops[route.dest] = [...new Set([...(view.nextHops[route.dest] ?? []), ...route.via])];
      }
      continue;
    }
    const [, a, b] = line.split("\t");
    if (tag === "P" && a) view.ping[a] = b === "1";
  }
  for (const s of parseShowProtocols(birdc.join("\n"))) view.bgp[s.name] = s.established;
  return view;
}
