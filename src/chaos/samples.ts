// What the probe's hosts print, parsed: one line per ping answered or given up on, one line per
// route sample. The probe (probe.ts) runs `ping -D -O` to every other node's mesh address and
// samples `ip route` and `birdc show protocols` every 0.2 s on each host; its lines come back
// tagged with the host they came from. Pure, so the loss and route arithmetic is unit-tested.

/** One ping: sent by `from` to `to` (a host name), at `t` (Unix seconds), answered or not. */
export interface PingSample {
  from: string;
  to: string;
  seq: number;
  t: number;
  ok: boolean;
}

/** One route sample on `host` at `t`: BIRD's routes in the kernel and the peer sessions not Established. */
export interface RouteSample {
  host: string;
  t: number;
  routes: string[];
  sessionsDown: string[];
}

// `P <to> [1764580000.123456] 64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.52 ms`
// `P <to> [1764580000.323456] no answer yet for icmp_seq=2`
// `P <to> [1764580000.523456] From 10.0.0.1 icmp_seq=3 Destination Host Unreachable`
const PING = /^P (\S+) \[(\d+\.\d+)\] (.*)icmp_seq=(\d+)/;
// `R 1764580000.123456789 10.1.0.0/24,10.2.0.0/24, peer_node3,`
const ROUTES = /^R (\d+\.\d+) ([^ ]*) ?([^ ]*)$/;

/**
 * Parses one line of `from`'s probe output. A seq counts once: answered if any line says so (a
 * late answer after "no answer yet" still counts: nothing was lost, only delayed).
 */
export function parseProbeLine(from: string, line: string): PingSample | RouteSample | undefined {
  const p = PING.exec(line);
  if (p) return { from, to: p[1]!, seq: Number(p[4]), t: Number(p[2]), ok: p[3]!.includes(" bytes from ") };
  const r = ROUTES.exec(line);
  if (r) return { host: from, t: Number(r[1]), routes: list(r[2]!), sessionsDown: list(r[3]!) };
  return undefined;
}

const list = (s: string) => s.split(",").filter((x) => x !== "");

export const isPing = (s: PingSample | RouteSample): s is PingSample => "seq" in s;

/** The pings lost in [start, end): seqs never answered, one per (from, to, seq). */
export function lostPings(samples: readonly PingSample[], start: number, end: number): PingSample[] {
  const bySeq = new Map<string, PingSample>();
  for (const s of samples) {
    const key = `${s.from} ${s.to} ${s.seq}`;
    const seen = bySeq.get(key);
    if (!seen) bySeq.set(key, s);
    else if (s.ok && !seen.ok) bySeq.set(key, { ...seen, ok: true });
  }
  return [...bySeq.values()].filter((s) => !s.ok && s.t >= start && s.t < end);
}

/**
 * The outages among lost pings: two or more consecutive pings of one pair lost (0.4 s and more
 * without an answer), as "from>to" with the longest run. A lone lost ping is not one: an idle
 * mesh loses one now and then at tinc's key renewals (KeyExpire: the node drops its old receive
 * keys and a packet already on its way with one is refused), about 0.06% of pings in the lab.
 */
export function outages(lost: readonly PingSample[]): Map<string, number> {
  const seqs = new Map<string, number[]>();
  for (const s of lost) {
    const pair = `${s.from}>${s.to}`;
    const list = seqs.get(pair);
    if (list) list.push(s.seq);
    else seqs.set(pair, [s.seq]);
  }
  const out = new Map<string, number>();
  for (const [pair, list] of seqs) {
    const sorted = [...list].sort((a, b) => a - b);
    let run = 1;
    let longest = 1;
    for (let i = 1; i < sorted.length; i++) {
      run = sorted[i] === sorted[i - 1]! + 1 ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    if (longest >= 2) out.set(pair, longest);
  }
  return out;
}

/** Pairs as "a>b" with how many pings each lost, for a report. */
export function lossByPair(lost: readonly PingSample[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of lost) m.set(`${s.from}>${s.to}`, (m.get(`${s.from}>${s.to}`) ?? 0) + 1);
  return m;
}

/**
 * Route samples in [start, end) that lack a route the host had in its last sample before
 * `start` (its baseline), unless `mayGo(host, route)`; and samples with a session down, unless
 * `mayBeDown(host, protocol)`: what a user sees as a flap.
 */
export function routeGaps(
  samples: readonly RouteSample[],
  start: number,
  end: number,
  mayGo: (host: string, route: string) => boolean = () => false,
  mayBeDown: (host: string, protocol: string) => boolean = () => false,
): { missing: RouteSample[]; down: RouteSample[] } {
  const baseline = new Map<string, Set<string>>();
  for (const s of samples) if (s.t < start) baseline.set(s.host, new Set(s.routes));
  const inWindow = samples.filter((s) => s.t >= start && s.t < end);
  const missing = inWindow.filter((s) => [...(baseline.get(s.host) ?? [])].some((r) => !s.routes.includes(r) && !mayGo(s.host, r)));
  const down = inWindow.filter((s) => s.sessionsDown.some((p) => !mayBeDown(s.host, p)));
  return { missing, down };
}

/** The median and the largest of some numbers (p50 of an even count: the lower middle). */
export function p50max(values: readonly number[]): { p50: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted[sorted.length - 1]! };
}
