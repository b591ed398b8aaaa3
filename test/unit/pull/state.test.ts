import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPullState, recordPullRun, type PullRun } from "../../../src/pull/state.js";

const run = (commit: string, result: PullRun["result"]): PullRun => ({
  repo: "git://x/cfg",
  branch: "main",
  commit,
  subject: commit,
  tool: "t1",
  started: "2026-11-24T00:00:00Z",
  finished: "2026-11-24T00:00:01Z",
  result,
  changed: result === "applied" ? 3 : 0,
});

describe("the pull state file", () => {
  it("keeps the last run, the last good one, and a bounded history", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bgpmesh-state-")), "sub", "pull-state.json");
    expect(readPullState(file)).toEqual({ history: [] });
    recordPullRun(run("a", "applied"), file);
    recordPullRun(run("b", "failed"), file);
    recordPullRun(run("b", "check"), file);
    let s = readPullState(file);
    expect(s.last?.result).toBe("check");
    // A failed run or a check does not change what the host is built from.
    expect(s.lastGood?.commit).toBe("a");
    recordPullRun(run("c", "unchanged"), file);
    s = readPullState(file);
    expect(s.lastGood?.commit).toBe("c");
    for (let i = 0; i < 30; i++) recordPullRun(run(`r${i}`, "skipped"), file);
    s = readPullState(file);
    expect(s.history).toHaveLength(20);
    expect(s.lastGood?.commit).toBe("c");
  });
});

describe("a damaged pull state file", () => {
  it("counts as no earlier run: it is moved aside to .damaged, with a warning naming it, and the next run is recorded", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bgpmesh-state-")), "pull-state.json");
    writeFileSync(file, '{"last": {"repo": "git://x/cf');
    const warnings: string[] = [];
    expect(readPullState(file, (m) => warnings.push(m))).toEqual({ history: [] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain(`${file}.damaged`);
    expect(readFileSync(`${file}.damaged`, "utf8")).toBe('{"last": {"repo": "git://x/cf');
    expect(existsSync(file)).toBe(false);

    const s = recordPullRun(run("a", "applied"), file, (m) => warnings.push(m));
    expect(s.lastGood?.commit).toBe("a");
    expect(readPullState(file).lastGood?.commit).toBe("a");
    expect(warnings).toHaveLength(1);
  });

  it("one that is JSON but not a pull state is kept aside too, and a later damaged one does not overwrite it", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bgpmesh-state-")), "pull-state.json");
    writeFileSync(file, '{"history": "nope"}\n');
    const warnings: string[] = [];
    expect(readPullState(file, (m) => warnings.push(m))).toEqual({ history: [] });
    writeFileSync(file, "\0\0\0");
    expect(recordPullRun(run("b", "failed"), file, (m) => warnings.push(m)).last?.commit).toBe("b");
    expect(warnings).toHaveLength(2);
    expect(readFileSync(`${file}.damaged`, "utf8")).toBe('{"history": "nope"}\n');
    const second = readdirSync(dirname(file)).filter((n) => n.startsWith("pull-state.json.damaged") && n !== "pull-state.json.damaged");
    expect(second).toHaveLength(1);
    expect(readFileSync(join(dirname(file), second[0]!), "utf8")).toBe("\0\0\0");
  });
});
