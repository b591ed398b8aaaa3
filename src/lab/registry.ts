// Which labs exist and which subnet each one holds. Allocation runs under a lock so that test
// files starting labs side by side never pick the same subnet.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { run } from "../util/exec.js";
import { withDirLock } from "../util/lock.js";
import { RELEASES, type Release } from "../fields/releases.js";
import { LAB_ROOT, MAX_LAB_INDEX, SUBNET_PREFIX, checkLabName, labDir } from "./layout.js";

const LabRecord = z.object({
  name: z.string(),
  index: z.number().int(),
  hosts: z.number().int(),
  /** what `lab up --release` asked for, cycled over new hosts; labs made before it: bookworm */
  releases: z.array(z.enum(Object.keys(RELEASES) as [Release, ...Release[]])).min(1).optional(),
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
async function foreignRoutes(): Promise<string[]> {
  const { stdout } = await run("ip", ["-4", "-o", "route", "show", "table", "all"]);
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

/** The lab's record, creating it with the first free subnet when the lab is new. */
export async function claimLab(name: string, hosts: number, releases?: Release[]): Promise<LabRecord> {
  checkLabName(name);
  return withDirLock(LAB_ROOT, async () => {
    const existing = readLab(name);
    if (existing) {
      const updated = { ...existing, hosts, ...(releases && { releases }) };
      saveLab(updated);
      return updated;
    }
    const taken = new Set(listLabs().map((l) => l.index));
    const routes = await foreignRoutes();
    for (let index = 1; index <= MAX_LAB_INDEX; index++) {
      if (taken.has(index) || routes.some((r) => overlapsLabNet(r, index))) continue;
      const record = { name, index, hosts, ...(releases && { releases }), created: new Date().toISOString() };
      saveLab(record);
      return record;
    }
    throw new Error(`no free lab subnet left in ${SUBNET_PREFIX}.0.0/16: take a lab down first`);
  }, 60_000);
}
