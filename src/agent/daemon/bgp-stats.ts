// What BIRD says of the peers' BGP sessions, for the metrics: one `birdc show protocols all` when
// /metrics is scraped (at most every 2 s), read with the parser status and verify share
// (src/fields/birdc.ts).
import { PEER6_PROTOCOL_PREFIX, PEER_PROTOCOL_PREFIX } from "../../fields/bird.js";
import { channelSum, parseShowProtocolsAll } from "../../fields/birdc.js";
import type { Runner } from "./exec.js";
import type { AgentMetrics } from "./metrics.js";

export const BIRDC_SHOW_PROTOCOLS_ALL: readonly string[] = ["birdc", "show", "protocols", "all"];

/** Sets the sessions established and, per peer_* and peer6_* protocol, its routes imported and filtered. */
export async function refreshBgpMetrics(run: Runner, metrics: AgentMetrics, timeoutMs = 5000): Promise<void> {
  const r = await run(BIRDC_SHOW_PROTOCOLS_ALL, timeoutMs);
  // BIRD down or birdc missing: no session is established, and no route count is known.
  const protocols = r.ok ? parseShowProtocolsAll(r.stdout) : [];
  // IPv4 sessions (peer_*) as before IPv6 existed, so BgpSessionsMissing keeps its meaning; IPv6 ones apart.
  metrics.bgpEstablished.set(protocols.filter((p) => p.established && p.name.startsWith(PEER_PROTOCOL_PREFIX)).length);
  metrics.bgpEstablished6.set(protocols.filter((p) => p.established && p.name.startsWith(PEER6_PROTOCOL_PREFIX)).length);
  // Rebuilt each time, so a peer gone from BIRD's config leaves no series behind.
  metrics.routesImported.reset();
  metrics.routesFiltered.reset();
  for (const p of protocols) {
    metrics.routesImported.set({ peer: p.name }, channelSum(p, "imported"));
    metrics.routesFiltered.set({ peer: p.name }, channelSum(p, "filtered"));
  }
}
