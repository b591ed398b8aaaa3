// What `verify` asks each mesh host, in one command: the state of its BGP sessions, whether it
// reaches every other node's mesh address over tinc, and which routes BIRD put in the kernel.
import { shellQuote } from "../util/shell.js";

export interface HostView {
  /** BGP protocol name → established */
  bgp: Record<string, boolean>;
  /** mesh address → answered a ping */
  ping: Record<string, boolean>;
  /** destinations of routes BIRD installed in the kernel */
  routes: string[];
}

export function observeScript(peerAddresses: string[]): string {
  const pings = peerAddresses
    .map((a) => `( if ping -c1 -W1 -q ${shellQuote(a)} >/dev/null 2>&1; then printf 'P\\t%s\\t1\\n' ${shellQuote(a)}; else printf 'P\\t%s\\t0\\n' ${shellQuote(a)}; fi ) &`)
    .join("\n");
  return [
    `birdc -r show protocols 2>/dev/null | while read -r name proto rest; do case "$proto" in BGP) case "$rest" in *Established*) printf 'B\\t%s\\t1\\n' "$name";; *) printf 'B\\t%s\\t0\\n' "$name";; esac;; esac; done`,
    pings,
    "wait",
    `ip -4 route show proto bird 2>/dev/null | while read -r dest rest; do printf 'R\\t%s\\n' "$dest"; done`,
  ].join("\n");
}

export function parseObservation(out: string): HostView {
  const view: HostView = { bgp: {}, ping: {}, routes: [] };
  for (const line of out.split("\n")) {
    const [tag, a, b] = line.split("\t");
    if (tag === "B" && a) view.bgp[a] = b === "1";
    if (tag === "P" && a) view.ping[a] = b === "1";
    if (tag === "R" && a) view.routes.push(a);
  }
  return view;
}
