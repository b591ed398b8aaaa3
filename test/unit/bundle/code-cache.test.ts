// The bundled CLI's entry (dist/bundle/cli.mjs, src/bundle-entry.ts) with V8's code cache: what a
// user sees is the same output with or without it, a cache kept per build and command, and a damaged
// or foreign one replaced. Runs the built bundle (npm test builds it first).
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../../src/util/exec.js";
import { projectFile } from "../../../src/util/project.js";

const root = mkdtempSync(join(tmpdir(), "bgpmesh-code-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const version = (JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as { version: string }).version;

async function runEntry(entry: string, cacheDir: string, ...args: string[]) {
  const r = await run(process.execPath, [entry, ...args], { allowFailure: true, env: { ...process.env, BGPMESH_CACHE_DIR: cacheDir } });
  return r;
}
const kept = (cacheDir: string) => {
  try {
    return readdirSync(join(cacheDir, "v8")).sort();
  } catch {
    return [];
  }
};

describe("the bundled CLI with V8's code cache", () => {
  const entry = projectFile("dist", "bundle", "cli.mjs");

  it("writes a cache for a command once, then runs from it with the same output", async () => {
    const cache = join(root, "c1");
    const first = await runEntry(entry, cache, "--version");
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(version);
    const files = kept(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{32}-other\.bin$/);
    const file = join(cache, "v8", files[0]!);
    const before = statSync(file);
    expect(before.size).toBeGreaterThan(10_000);
    expect(before.mode & 0o777).toBe(0o600);
    const second = await runEntry(entry, cache, "--version");
    expect(second.stdout).toBe(first.stdout);
    // V8 took it: it was not written again
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    // each command has its own (it calls other functions)
    const help = await runEntry(entry, cache, "plan", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: bgpmesh-provision plan");
    expect(kept(cache)).toEqual([files[0], files[0]!.replace("-other", "-plan")].sort());
  });

  it("a damaged cache is refused by V8 and replaced; errors and exit codes pass through", async () => {
    const cache = join(root, "c2");
    await runEntry(entry, cache, "--version");
    const [name] = kept(cache);
    const file = join(cache, "v8", name!);
    writeFileSync(file, "not a code cache");
    const r = await runEntry(entry, cache, "--version");
    expect(r.stdout.trim()).toBe(version);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    const bad = await runEntry(entry, cache, "apply", "-i", join(root, "missing.yml"));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*missing\.yml/m);
  });

  it("another build of the bundle keeps its own cache and removes the old build's", async () => {
    const cache = join(root, "c3");
    const copy = join(root, "copy", "dist", "bundle");
    mkdirSync(copy, { recursive: true });
    for (const f of ["cli.mjs", "cli.cjs"]) copyFileSync(projectFile("dist", "bundle", f), join(copy, f));
    await runEntry(join(copy, "cli.mjs"), cache, "--version");
    const old = kept(cache);
    appendFileSync(join(copy, "cli.cjs"), "\n// another build\n");
    const r = await runEntry(join(copy, "cli.mjs"), cache, "--version");
    expect(r.stdout.trim()).toBe(version);
    const now = kept(cache);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(old[0]);
  });

  it("runs without a cache when it is off", async () => {
    const r = await runEntry(entry, "off", "--version");
    expect(r.stdout.trim()).toBe(version);
  });
});
