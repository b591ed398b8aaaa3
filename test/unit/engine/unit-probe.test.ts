// The batched unit probe, run by the real /bin/sh: one `systemctl show` for all of a host's units,
// its blocks handed to each unit's index; when the blocks do not add up (systemctl refused the
// call), each unit is asked alone. systemctl is a shell function here that answers as systemd 252
// does (this machine runs no systemd).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceKind } from "../../../src/resources/service.js";

const FAKE = String.raw`systemctl() {
  { printf systemctl; printf ' %s' "$@"; echo; } >> "$CALLS"
  shift 4
  [ "$1" = bad@@.service ] && return 1
  first=1
  for u in "$@"; do
    [ "$u" = bad@@.service ] && { echo "Unit name $u is not valid." >&2; return 1; }
    [ $first = 1 ] || echo
    first=0
    case $u in
      missing.service) printf 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n' ;;
      *) printf 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n' ;;
    esac
  done
}`;

function probe(units: string[]): { units: Map<number, unknown>; calls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "bgpmesh-unit-probe-"));
  try {
    const calls = join(dir, "calls");
    writeFileSync(calls, "");
    const script = [serviceKind.probeFunctions, FAKE, ...units.map((u, i) => serviceKind.probe({ kind: "service", name: u } as never, i)), serviceKind.probeFlush].join("\n");
    const out = execFileSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, CALLS: calls } });
    const lines = new Map<number, string[][]>();
    for (const l of out.split("\n").filter(Boolean)) {
      const [tag, i, ...rest] = l.split("\t");
      expect(tag).toBe("R");
      lines.set(Number(i), [...(lines.get(Number(i)) ?? []), rest]);
    }
    return { units: new Map(units.map((_, i) => [i, serviceKind.read(lines.get(i) ?? [])])), calls: readFileSync(calls, "utf8").split("\n").filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the batched unit probe", () => {
  it("asks once for every unit and gives each its own block", () => {
    const { units, calls } = probe(["bird", "missing", "tinc@bgpmesh"]);
    expect(calls).toEqual(["systemctl show -p LoadState,ActiveState,UnitFileState -- bird.service missing.service tinc@bgpmesh.service"]);
    expect(units.get(0)).toEqual({ load: "loaded", active: "active", enabled: "enabled" });
    expect(units.get(1)).toEqual({ load: "not-found", active: "inactive", enabled: "" });
    expect(units.get(2)).toEqual({ load: "loaded", active: "active", enabled: "enabled" });
  });

  it("asks unit by unit when the one call fails: the valid ones still answer", () => {
    const { units, calls } = probe(["bird", "bad@@", "missing"]);
    expect(calls.length).toBe(4);
    expect(units.get(0)).toEqual({ load: "loaded", active: "active", enabled: "enabled" });
    expect(units.get(1)).toBeUndefined();
    expect(units.get(2)).toEqual({ load: "not-found", active: "inactive", enabled: "" });
  });
});
