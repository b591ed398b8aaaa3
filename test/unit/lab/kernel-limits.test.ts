import { describe, expect, it } from "vitest";
import { neededLimits, neighbourEntries, raisesNeeded, tableFulls } from "../../../src/lab/kernel-limits.js";

const need = (sizes: number[], key: string) => neededLimits(sizes).find((l) => l.key === key)!.need;

describe("kernel limits the lab needs", () => {
  it("sizes the neighbour tables for every host holding every other on eth0 and on tinc0", () => {
    expect(neighbourEntries(100)).toBe(20_100);
    for (const v of [4, 6]) {
      const [t1, t2, t3] = [1, 2, 3].map((i) => need([100], `net.ipv${v}.neigh.default.gc_thresh${i}`));
      expect(t1).toBeGreaterThanOrEqual(20_100);
      expect(t2).toBeGreaterThanOrEqual(t1!);
      expect(t3).toBeGreaterThanOrEqual(2 * 20_100);
    }
    // The 24-host lab of the issue, whose hosts stopped answering ARP at the default 1024.
    expect(need([24], "net.ipv4.neigh.default.gc_thresh3")).toBeGreaterThan(2 * neighbourEntries(24));
  });

  it("counts neighbours per lab (hosts see only their own lab) and per-user limits over all labs", () => {
    expect(need([50, 50], "net.ipv4.neigh.default.gc_thresh1")).toBeLessThan(need([100], "net.ipv4.neigh.default.gc_thresh1"));
    expect(need([50, 50], "fs.inotify.max_user_instances")).toBe(need([100], "fs.inotify.max_user_instances"));
  });

  it("grows inotify instances past the default 128 that 24 hosts exhausted", () => {
    expect(need([3], "fs.inotify.max_user_instances")).toBeGreaterThan(128);
    expect(need([24], "fs.inotify.max_user_instances")).toBeGreaterThanOrEqual(24 * 16);
    expect(need([100], "fs.inotify.max_user_instances")).toBe(3328);
  });

  it("never asks for less than the kernel's own default", () => {
    const defaults: Record<string, number> = {
      "fs.inotify.max_user_instances": 128,
      "fs.inotify.max_user_watches": 8192,
      "kernel.pid_max": 32768,
    };
    for (const l of neededLimits([1])) if (l.key in defaults) expect(l.need, l.key).toBeGreaterThanOrEqual(defaults[l.key]!);
  });

  it("raises only what is below the need, and skips sysctls the machine lacks", () => {
    // This machine's values before the first `lab up` (sysctl, 6.18 kernel, 24 GiB).
    const machine: Record<string, number> = {
      "fs.inotify.max_user_instances": 128,
      "fs.inotify.max_user_watches": 192536,
      "net.ipv4.neigh.default.gc_thresh1": 128,
      "net.ipv4.neigh.default.gc_thresh2": 512,
      "net.ipv4.neigh.default.gc_thresh3": 1024,
      "kernel.pid_max": 32768,
    };
    const raises = raisesNeeded(neededLimits([100]), (k) => machine[k]);
    expect(raises.map((r) => r.key)).toEqual([
      "fs.inotify.max_user_instances",
      "net.ipv4.neigh.default.gc_thresh1",
      "net.ipv4.neigh.default.gc_thresh2",
      "net.ipv4.neigh.default.gc_thresh3",
    ]);
    for (const r of raises) expect(r.to).toBeGreaterThan(r.from);
    expect(raises.find((r) => r.key === "fs.inotify.max_user_instances")).toMatchObject({ from: 128, to: 3328 });
    // pid_max only past about 380 hosts: 100 hosts held 830 tasks.
    expect(raisesNeeded(neededLimits([200, 200]), (k) => machine[k]).map((r) => r.key)).toContain("kernel.pid_max");
  });
});

describe("neighbour table overflows", () => {
  // /proc/net/stat/arp_cache on this machine (2 CPUs), the second CPU's table_fulls set to 0x1a.
  const ARP_CACHE = `entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls
00000002 00000552 00000533 00000003   00075433 0005d923 00000086   00000000         00000000         00000000         00000000       00000000            00000000
00000002 00000581 0000059e 00000001   0003332d 00028d05 00000088   00000000         00000000         00000202         00000000       00000000            0000001a
`;
  it("sums table_fulls over CPUs", () => {
    expect(tableFulls(ARP_CACHE)).toBe(26);
    expect(tableFulls("")).toBe(0);
  });
});
