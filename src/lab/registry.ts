// Which labs exist and which subnet each one holds. Allocation runs under a lock so that test
// files starting labs side by side never pick the same subnet.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { run } from "../util/exec.js";
import { withDirLock } from "../util/lock.js";
import { RELEASES, type Release } from "../fields/releases.js";
import { ipv6ToBigInt } from "../fields/ipv6.js";
import { LAB_ROOT, MAX_LAB_INDEX, SUBNET6_PREFIX, SUBNET_PREFIX, UNDERLAYS, checkLabName, labDir, type Underlay } from "./layout.js";

const LabRecord = z.object({
  name: z.string(),
  index: z.number().int(),
  hosts: z.number().int(),
  /** what `lab up --release` asked for, cycled over new hosts; labs made before it: bookworm */
  releases: z.array(z.enum(Object.keys(RELEASES) as [Release, ...Release[]])).min(1).optional(),
  /** `lab up --underlay`: what the hosts' eth0 carries; labs made before it: ipv4 */
  underlay: z.enum(UNDERLAYS as [Underlay, ...Underlay[]]).optional(),
  created: z.string(),
});
export type LabRecord = z.infer<typeof LabRecord>;

function recordFile(name: string): string {
  return join(labDir(name), "lab.json");
}

export function readLab(name: string): LabRecord | undefined {
  const file = recordFile(name);
  if (!existsSync(file)) return undefined;
  return LabRecord.parse(JSON.parse(readFileSync(file, "utf8")));
}

export function listLabs(): LabRecord[] {
  if (!existsSync(LAB_ROOT)) return [];
  const labs: LabRecord[] = [];
  for (const entry of readdirSync(LAB_ROOT, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const lab = readLab(entry.name);
      if (lab) labs.push(lab);
    } catch {
      /* a half-written record is not a lab */
    }
  }
  return labs;
}

export function saveLab(record: LabRecord): void {
  mkdirSync(labDir(record.name), { recursive: true });
  writeFileSync(recordFile(record.name), JSON.stringify(record, null, 2) + "\n");
}

export function forgetLab(name: string): void {
  rmSync(labDir(name), { recursive: true, force: true });
}

/** Destinations the machine already routes that are not a lab's bridge: a lab must not shadow them. */
async function foreignRoutes(family: "-4" | "-6" = "-4"): Promise<string[]> {
  const { stdout } = await run("ip", [family, "-o", "route", "show", "table", "all"]);
  const typed = new Set(["local", "broadcast", "unicast", "multicast", "anycast", "blackhole", "unreachable", "prohibit"]);
  return stdout
    .split("\n")
    .filter((l) => l.trim() && !/\bdev bml\d+\b/.test(l))
    .map((l) => {
      const words = l.trim().split(/\s+/);
      return (typed.has(words[0]!) ? words[1] : words[0]) ?? "";
    })
    .filter((dest) => dest !== "" && dest !== "default");
}

const toInt = (a: string): number => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);

/** True when the route destination `dest` (a.b.c.d[/len]) and the lab's /24 share addresses. */
export function overlapsLabNet(dest: string, index: number): boolean {
  const [addr, lenText] = dest.split("/");
  if (!addr || !/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return false;
  const bits = Math.min(lenText === undefined ? 32 : Number(lenText), 24);
  const block = 2 ** (32 - bits);
  return Math.floor(toInt(addr) / block) === Math.floor(toInt(`${SUBNET_PREFIX}.${index}.0`) / block);
}

/** True when the IPv6 route destination `dest` (addr[/len]) and the lab's /64 share addresses. */
export function overlapsLabNet6(dest: string, index: number): boolean {
  const [addr, lenText] = dest.split("/");
  const a = addr === undefined ? undefined : ipv6ToBigInt(addr);
  const lab = ipv6ToBigInt(`${SUBNET6_PREFIX}:${index}::`);
  if (a === undefined || lab === undefined) return false;
  const shift = 128n - BigInt(Math.min(lenText === undefined ? 128 : Number(lenText), 64));
  return a >> shift === lab >> shift;
}

/** The underlay a lab has: labs recorded before `--underlay` existed are IPv4. */
export const labUnderlay = (record: LabRecord): Underlay => record.underlay ?? "ipv4";

/**
 * The lab's record, creating it with the first free subnet when the lab is new. An existing lab
 * keeps its underlay: its hosts' addresses are in their disks' known_hosts and etcd data.
 */
export async function claimLab(name: string, hosts: number, releases?: Release[], underlay?: Underlay): Promise<LabRecord> {
  checkLabName(name);
  return withDirLock(LAB_ROOT, async () => {
    const existing = readLab(name);
    if (existing) {
      if (underlay !== undefined && underlay !== labUnderlay(existing)) {
        throw new Error(
          `lab '${name}' has an ${labUnderlay(existing)} underlay and --underlay asks for ${underlay}: \`lab down --name ${name}\` first, then \`lab up --name ${name} --underlay ${underlay}\``,
        );
      }
      const updated = { ...existing, hosts, ...(releases && { releases }) };
      saveLab(updated);
      return updated;
    }
    const taken = new Set(listLabs().map((l) => l.index));
    const v6 = underlay === "ipv6";
    const routes = await foreignRoutes(v6 ? "-6" : "-4");
    const overlaps = v6 ? overlapsLabNet6 : overlapsLabNet;
    for (let index = 1; index <= MAX_LAB_INDEX; index++) {
      if (taken.has(index) || routes.some((r) => overlaps(r, index))) continue;
      const record = { name, index, hosts, ...(releases && { releases }), ...(v6 && { underlay }), created: new Date().toISOString() };
      saveLab(record);
      return record;
    }
    throw new Error(`no free lab subnet left in ${SUBNET_PREFIX}.0.0/16: take a lab down first`);
  }, 60_000);
}
