// The machine-wide kernel limits that lab hosts share. The containers run without a user
// namespace, so every host's root is the machine's root and each of their service users (e.g.
// messagebus) is the same kernel user in all of them: per-user limits (inotify) are spent by
// all hosts together. The neighbour tables' gc thresholds are global too (only the initial
// namespace has them), yet every host in a lab holds a neighbour for each other host on eth0 and,
// once the mesh runs, again on tinc0. The defaults hold about 10 to 20 hosts; past that hosts
// boot `degraded` or stop answering ARP. Pure: lab up reads and writes them (sysctl.ts).

export interface KernelLimit {
  /** sysctl name, e.g. fs.inotify.max_user_instances */
  key: string;
  /** the least value the labs need */
  need: number;
  /** what goes wrong below it, for the message when it cannot be raised */
  why: string;
}

/*
 * Per-host budgets, with room over what an idle booted host was measured to hold (README, "The
 * lab": 6 inotify instances and 20 watches of root's, 8 tasks) for the mesh roles, the systemd
 * --user instance each root login starts, `lab ssh` sessions and apply runs. Key quotas
 * (kernel.keys.maxkeys) are left alone: the hosts' keyrings were measured to be root's, whose
 * quota (root_maxkeys) is a million.
 */
const INOTIFY_INSTANCES_PER_HOST = 32;
const INOTIFY_WATCHES_PER_HOST = 512;
const TASKS_PER_HOST = 64;
/** What the machine itself keeps: the kernel's own defaults for these limits. */
const BASE = { inotifyInstances: 128, inotifyWatches: 8192, tasks: 32768, neighbours: 1024 };

/** Neighbour entries a lab of n hosts holds: each host has every other host and the bridge on eth0, and every host on tinc0; the bridge has each host. */
export function neighbourEntries(n: number): number {
  return n * n + n * n + n;
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/**
 * What all labs on the machine need together, given each lab's host count (the one starting
 * included). Lines for limits the machine lacks (no IPv6, no conntrack) are dropped by the caller.
 */
export function neededLimits(labSizes: number[]): KernelLimit[] {
  const hosts = labSizes.reduce((a, b) => a + b, 0);
  const entries = labSizes.reduce((a, n) => a + neighbourEntries(n), 0);
  // gc_thresh1: below it nothing is collected, so a lab's entries are never thrown away;
  // gc_thresh2: above it for 5 s, collection turns aggressive; gc_thresh3: the hard cap, where
  // new neighbours fail ("neighbour table overflow", arp_cache table_fulls grows).
  const neigh = [roundUp(entries + 128, 256), roundUp(entries + 512, 256), roundUp(2 * entries + BASE.neighbours, 1024)] as const;
  const neighWhy = (v: 4 | 6, t: number) =>
    `the IPv${v} neighbour table is shared by all namespaces; ${hosts} hosts hold about ${entries} neighbours (every host has every other on eth0 and on tinc0)` +
    (t === 3 ? ": past this, new neighbours fail and hosts become unreachable" : "");
  const limits: KernelLimit[] = [
    {
      key: "fs.inotify.max_user_instances",
      need: roundUp(BASE.inotifyInstances + INOTIFY_INSTANCES_PER_HOST * hosts, 128),
      why: `every host's systemd (as the machine's root) opens inotify instances; without enough, units fail with "Failed to create control group inotify object: Too many open files" and hosts boot degraded`,
    },
    {
      key: "fs.inotify.max_user_watches",
      need: roundUp(BASE.inotifyWatches + INOTIFY_WATCHES_PER_HOST * hosts, 8192),
      why: "every host's systemd and journald watch files as the machine's root; without enough, path units and journald fail",
    },
    ...([4, 6] as const).flatMap((v) =>
      neigh.map((need, i) => ({ key: `net.ipv${v}.neigh.default.gc_thresh${i + 1}`, need, why: neighWhy(v, i + 1) })),
    ),
    {
      key: "kernel.pid_max",
      need: Math.max(BASE.tasks, roundUp(8192 + TASKS_PER_HOST * hosts, 4096)),
      why: "every host's processes and threads take machine-wide PIDs; without enough, fork fails inside hosts",
    },
    {
      key: "net.netfilter.nf_conntrack_max",
      need: roundUp(65536 + 4 * labSizes.reduce((a, n) => a + n * n, 0), 4096),
      why: "with connection tracking loaded, each host's tinc and BGP sessions to every other host are tracked; a full table drops new connections",
    },
  ];
  return limits;
}

export interface Raise {
  key: string;
  from: number;
  to: number;
}

/** The limits whose current value is below the need; never a lowering. Unknown keys (undefined) are skipped. */
export function raisesNeeded(limits: KernelLimit[], current: (key: string) => number | undefined): (Raise & { why: string })[] {
  const raises: (Raise & { why: string })[] = [];
  for (const l of limits) {
    const from = current(l.key);
    if (from !== undefined && from < l.need) raises.push({ key: l.key, from, to: l.need, why: l.why });
  }
  return raises;
}

/**
 * How often the kernel refused a new neighbour because the table was full: the table_fulls
 * column of /proc/net/stat/arp_cache (or ndisc_cache), one hex line per CPU, summed.
 */
export function tableFulls(statText: string): number {
  const [header, ...rows] = statText.trim().split("\n");
  const col = (header ?? "").trim().split(/\s+/).indexOf("table_fulls");
  if (col < 0) return 0;
  return rows.reduce((sum, row) => sum + parseInt(row.trim().split(/\s+/)[col] ?? "0", 16), 0);
}
