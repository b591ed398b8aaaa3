// Each lab host gets cgroups of its own: systemd-nspawn with --keep-unit runs the container in
// the cgroup of whoever started it, and two containers sharing one would kill each other's
// processes. The same cgroups let `down` find every process a host left behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync } from "node:fs";
import { join } from "node:path";

const CGROUP2_MAGIC = 0x63677270;
const ROOT = "/sys/fs/cgroup";

export interface HostCgroups {
  /** cgroup directories the launcher joins (one per hierarchy systemd uses) */
  dirs: string[];
  /** v1 memory controller directory, when the machine has one: per-host memory accounting */
  memory?: string;
}

function selfPath(controller: string): string {
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.split(":")[1] === controller);
  return line?.split(":")[2] ?? "/";
}

export function hostCgroups(lab: string, host: string): HostCgroups {
  const leaf = join("bgpmesh-lab", lab, host);
  if (statfsSync(ROOT).type === CGROUP2_MAGIC) {
    return { dirs: [join(ROOT, selfPath(""), leaf)] };
  }
  // Hybrid layout: systemd's own named hierarchy plus the unified one it also uses.
  const dirs = ["systemd", "unified"].filter((h) => existsSync(join(ROOT, h))).map((h) => join(ROOT, h, leaf));
  const memRoot = join(ROOT, "memory");
  const memory = existsSync(memRoot) ? join(memRoot, selfPath("memory"), leaf) : undefined;
  return { dirs, memory };
}

export function allDirs(cg: HostCgroups): string[] {
  return cg.memory ? [...cg.dirs, cg.memory] : cg.dirs;
}

export function createCgroups(cg: HostCgroups): void {
  for (const d of allDirs(cg)) mkdirSync(d, { recursive: true });
}

/** Every pid in the host's cgroups and their children. */
export function cgroupPids(cg: HostCgroups): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    try {
      for (const p of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) {
        if (p.trim()) pids.add(Number(p));
      }
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      /* the cgroup vanished while we read it */
    }
  };
  for (const d of allDirs(cg)) walk(d);
  return [...pids];
}

/** Removes the host's cgroups, deepest first; a cgroup still holding a process stays. */
export function removeCgroups(cg: HostCgroups): void {
  const rm = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      /* busy: reported by the caller's leftover check */
    }
  };
  for (const d of allDirs(cg)) {
    rm(d);
    // The lab's and the project's parent folders go too once empty.
    for (const parent of [join(d, ".."), join(d, "../..")]) {
      try {
        rmdirSync(parent);
      } catch {
        break;
      }
    }
  }
}

export interface MemoryUse {
  /** all memory charged to the host, page cache included */
  totalBytes: number;
  /** anonymous memory: what the host's processes really hold */
  rssBytes: number;
}

export function memoryUse(cg: HostCgroups): MemoryUse | undefined {
  try {
    if (cg.memory) {
      const stat = readFileSync(join(cg.memory, "memory.stat"), "utf8");
      const field = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, "m").exec(stat)?.[1] ?? 0);
      return { totalBytes: Number(readFileSync(join(cg.memory, "memory.usage_in_bytes"), "utf8")), rssBytes: field("total_rss") };
    }
    const dir = cg.dirs[0];
    if (dir && existsSync(join(dir, "memory.current"))) {
      const stat = readFileSync(join(dir, "memory.stat"), "utf8");
      const anon = Number(/^anon (\d+)$/m.exec(stat)?.[1] ?? 0);
      return { totalBytes: Number(readFileSync(join(dir, "memory.current"), "utf8")), rssBytes: anon };
    }
  } catch {
    /* not running */
  }
  return undefined;
}
