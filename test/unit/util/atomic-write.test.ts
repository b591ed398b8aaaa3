import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stageFile, TEMP_FILE, writeFileAtomic } from "../../../src/util/atomic-write.js";

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgpmesh-atomic-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces the file with the given mode and leaves no temp file", () => {
    const file = join(dir, "state.json");
    writeFileSync(file, "old\n");
    writeFileAtomic(file, "new\n", { mode: 0o600, fsync: true });
    expect(readFileSync(file, "utf8")).toBe("new\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("a failed rename leaves the old file and removes the temp file", () => {
    const target = join(dir, "taken");
    mkdirSync(join(target, "inside"), { recursive: true });
    // rename(2) cannot put a file over a non-empty directory.
    expect(() => writeFileAtomic(target, "x")).toThrow();
    expect(readdirSync(dir)).toEqual(["taken"]);
  });

  it("a staged file is beside its target as a dot file until committed; discard leaves the target alone", () => {
    const file = join(dir, "peers.conf");
    writeFileSync(file, "good\n");
    const staged = stageFile(file, "bad\n", { mode: 0o640 });
    expect(TEMP_FILE.exec(readdirSync(dir).find((n) => n !== "peers.conf")!)?.[1]).toBe("peers.conf");
    expect(readFileSync(staged.temp, "utf8")).toBe("bad\n");
    staged.discard();
    expect(readdirSync(dir)).toEqual(["peers.conf"]);
    expect(readFileSync(file, "utf8")).toBe("good\n");
    const next = stageFile(file, "better\n", { mode: 0o640 });
    next.commit();
    expect(readFileSync(file, "utf8")).toBe("better\n");
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});
