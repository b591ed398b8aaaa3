// The daemon runs on Debian 12's nodejs 18 (the bundle targets node18, but esbuild does not
// polyfill APIs): the same scan as test/unit/agent/node18.test.ts, over src/agent/daemon/.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIR = join(__dirname, "../../../../src/agent/daemon");
const NODE20_ONLY = [
  /\.toSorted\(/, /\.toReversed\(/, /\.toSpliced\(/, /\bglobSync\b/, /\bfs\.glob\b/, /Object\.groupBy/, /Map\.groupBy/,
  /Promise\.withResolvers/, /\bimport\.meta\b/, /\bstyleText\b/, /\.isWellFormed\(/, /\.toWellFormed\(/, /AbortSignal\.any/,
];

describe("src/agent/daemon runs on Node 18", () => {
  it("uses none of the Node 20-only APIs (nor import.meta, which a CommonJS bundle lacks)", () => {
    const offenders: string[] = [];
    for (const file of readdirSync(DIR).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(DIR, file), "utf8");
      for (const re of NODE20_ONLY) if (re.test(text)) offenders.push(`${file}: ${re.source}`);
    }
    expect(offenders).toEqual([]);
  });
});
