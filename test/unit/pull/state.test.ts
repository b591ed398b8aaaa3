import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
