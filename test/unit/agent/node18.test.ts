// The agent runs on Debian 12's nodejs 18 while the controller (and these tests) run Node 20:
// a Node 20-only API in src/agent would pass every test here and fail on the hosts (esbuild
// targets node18 but does not polyfill APIs). This catches the usual suspects by name, in every
// file of src/agent, daemon/ included, and of src/fields (bundled with it); import.meta too, which
// the CommonJS bundle lacks.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const AGENT_DIR = join(__dirname, "../../../src/agent");
const NODE20_ONLY = [
  /\.toSorted\(/, /\.toReversed\(/, /\.toSpliced\(/, /\.with\(/, /\bglobSync\b/, /\bfs\.glob\b/, /Object\.groupBy/, /Map\.groupBy/,
  /Promise\.withResolvers/, /\bimport\.meta\b/, /\bstyleText\b/, /\bgetDefaultHighWaterMark\b/, /AbortSignal\.any/,
  /\bArrayBuffer\.prototype\.transfer\b/, /\.isWellFormed\(/, /\.toWellFormed\(/,
];

describe("src/agent runs on Node 18", () => {
  it("uses none of the Node 20-only APIs, nor import.meta", () => {
    const files = readdirSync(AGENT_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files).toContain(join("daemon", "main.ts"));
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(AGENT_DIR, file), "utf8");
      for (const re of NODE20_ONLY) if (re.test(text)) offenders.push(`${file}: ${re.source}`);
    }
    expect(offenders).toEqual([]);
  });

  it("nor does src/fields, which the agent bundle includes", () => {
    const dir = join(__dirname, "../../../src/fields");
    const files = readdirSync(dir, { encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("ipv4.ts");
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const re of NODE20_ONLY) if (re.test(text)) offenders.push(`${file}: ${re.source}`);
    }
    expect(offenders).toEqual([]);
  });
});
