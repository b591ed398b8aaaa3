// The batched path probe, run by the real /bin/sh (dash on Debian, as on the hosts) on a scratch
// folder: every kind of path answers as the one-path-at-a-time probe did, the content comes only
// for a file whose hash differs, and the whole batch spawns one stat and one sha256sum.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PATH_FLUSH, PATH_FUNCTIONS, probePathLine, readPath } from "../../../src/resources/path-probe.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bgpmesh-path-probe-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the probe lines in sh; returns each index's lines, split on tabs, as observed.ts hands them to readPath. */
function probe(lines: string[], flush = true): Map<number, string[][]> {
  const script = [PATH_FUNCTIONS, ...lines, ...(flush ? [PATH_FLUSH] : [])].join("\n");
  const out = execFileSync("sh", ["-c", script], { encoding: "utf8" });
  const byIndex = new Map<number, string[][]>();
  for (const l of out.split("\n").filter(Boolean)) {
    const [tag, i, ...rest] = l.split("\t");
    expect(tag).toBe("R");
    byIndex.set(Number(i), [...(byIndex.get(Number(i)) ?? []), rest]);
  }
  return byIndex;
}

describe("the batched path probe", () => {
  it("answers for files, directories, symlinks, other things and missing paths as the one-path probe does", () => {
    writeFileSync(join(dir, "same"), "hello\n");
    writeFileSync(join(dir, "differs"), "old\n");
    writeFileSync(join(dir, "empty"), "");
    writeFileSync(join(dir, "with space"), "x");
    writeFileSync(join(dir, "back\\slash"), "y");
    mkdirSync(join(dir, "sub"), { mode: 0o750 });
    symlinkSync(join(dir, "same"), join(dir, "link"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const cases: [string, string][] = [
      ["same", sha("hello\n")],
      ["differs", sha("new\n")],
      ["empty", "-"],
      ["with space", sha("x")],
      ["back\\slash", sha("nope")],
      ["sub", "-"],
      ["link", "-"],
      ["fifo", "-"],
      ["missing", "-"],
      ["with*glob", "-"],
    ];
    const lines = cases.map(([name, want], i) => probePathLine(i, join(dir, name), want));
    const batched = probe(lines);
    const alone = probe(cases.map(([name, want], i) => `probe_path_one ${i} '${join(dir, name).replace(/'/g, "'\\''")}' ${want}`), false);
    expect(batched).toEqual(alone);

    const state = (i: number) => readPath(batched.get(i) ?? []);
    expect(state(0)).toMatchObject({ type: "file", size: 6, sha256: sha("hello\n") });
    expect(state(0)).not.toHaveProperty("content");
    expect(state(1)).toMatchObject({ type: "file", content: Buffer.from("old\n").toString("base64") });
    expect(state(2)).toMatchObject({ type: "file", size: 0, sha256: sha("") });
    expect(state(3)).toMatchObject({ type: "file", size: 1, sha256: sha("x") });
    expect(state(3)).not.toHaveProperty("content");
    expect(lines[4]).toMatch(/^probe_path_one /);
    expect(state(4)).toMatchObject({ type: "file", content: Buffer.from("y").toString("base64") });
    expect(state(5)).toEqual({ type: "directory", owner: expect.any(String), group: expect.any(String), mode: "0750" });
    expect(state(6)).toEqual({ type: "other", what: "symlink" });
    expect(state(7)).toEqual({ type: "other", what: "fifo" });
    expect(state(8)).toEqual({ type: "missing" });
    expect(state(9)).toEqual({ type: "missing" });
  });

  it("spawns one stat and one sha256sum for the whole batch", () => {
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), `${i}`);
    const lines = Array.from({ length: 20 }, (_, i) => probePathLine(i, join(dir, `f${i}`), sha(`${i}`)));
    const counts = `stat() { echo x >> ${dir}/stat.count; command stat "$@"; }; sha256sum() { echo x >> ${dir}/sum.count; command sha256sum "$@"; }`;
    execFileSync("sh", ["-c", [PATH_FUNCTIONS, counts, ...lines, PATH_FLUSH].join("\n")]);
    expect(execFileSync("wc", ["-l", join(dir, "stat.count"), join(dir, "sum.count")], { encoding: "utf8" })).toMatch(/^\s*1 .*stat\.count\n\s*1 .*sum\.count/);
  });
});
