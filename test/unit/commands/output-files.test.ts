import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAndReport } from "../../../src/output/run-report.js";

const dir = mkdtempSync(join(tmpdir(), "bgpmesh-output-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run whose inventory and connections must never be reached: the checks come first. */
function run(opts: { outPlan?: string; jsonReport?: string }) {
  let contacted = false;
  return {
    contacted: () => contacted,
    done: runAndReport({
      inventory: join(dir, "no-such-inventory.yml"),
      site: join(dir, "no-such-site.yml"),
      extraVars: [],
      forks: 1,
      lockTimeoutSec: 1,
      apply: true,
      diff: false,
      color: false,
      connect: () => {
        contacted = true;
        throw new Error("connected");
      },
      out: () => undefined,
      err: () => undefined,
      ...opts,
    }),
  };
}

describe("--json and --out files are checked before the run", () => {
  it.each([
    ["--json", { jsonReport: join(dir, "missing", "r.json") }, `there is no folder ${join(dir, "missing")}`],
    ["--out", { outPlan: join(dir, "missing", "p.json") }, `there is no folder ${join(dir, "missing")}`],
    ["--json", { jsonReport: join(dir, "file", "r.json") }, `${join(dir, "file")} is not a folder`],
    ["--json", { jsonReport: join(dir, "sub") }, "it is a folder"],
  ] as const)("%s in a place it cannot be written: an error naming the option and the path, no host contacted", async (option, opts, why) => {
    writeFileSync(join(dir, "file"), "");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const r = run(opts);
    const path = Object.values(opts)[0];
    await expect(r.done).rejects.toThrow(`${option} ${path}: cannot write it: ${why} (no host was contacted)`);
    expect(r.contacted()).toBe(false);
  });

  it("a writable place passes the check (the run then fails on the missing inventory, as it would have)", async () => {
    const r = run({ jsonReport: join(dir, "r.json"), outPlan: join(dir, "p.json") });
    await expect(r.done).rejects.toThrow(/no-such/);
  });
});
