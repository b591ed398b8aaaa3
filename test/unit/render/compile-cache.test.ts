import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redactor } from "../../../src/inventory/index.js";
import { TemplateRenderer } from "../../../src/render/index.js";
import { controllerCacheDir } from "../../../src/util/cache-dir.js";

const root = mkdtempSync(join(tmpdir(), "bgpmesh-compile-cache-"));
const cache = join(root, "cache");
const templates = join(root, "templates");
const saved = process.env.BGPMESH_CACHE_DIR;

beforeAll(() => {
  process.env.BGPMESH_CACHE_DIR = cache;
  mkdirSync(templates);
});
afterAll(() => {
  if (saved === undefined) delete process.env.BGPMESH_CACHE_DIR;
  else process.env.BGPMESH_CACHE_DIR = saved;
  rmSync(root, { recursive: true, force: true });
});

/** What a run does: a new renderer (as each process has), one template rendered for one host. */
function render(name: string, text: string, context: Record<string, unknown>): string {
  writeFileSync(join(templates, name), text);
  const r = new TemplateRenderer(templates);
  return r.renderFile(name, { host: "a", context, secretValues: [], redactor: new Redactor([]), undefinedHint: "" }).text;
}
const entries = () => readdirSync(join(cache, "templates"));

describe("compiled templates kept between runs", () => {
  it("a second run renders the same from the kept code, and a changed text is compiled anew", () => {
    expect(render("t.njk", "port {{ port }}\n", { port: 179 })).toBe("port 179\n");
    expect(entries()).toHaveLength(1);
    expect(statSync(join(cache, "templates")).mode & 0o777).toBe(0o700);
    // the kept entry is what is run: a marker put in it shows up in the output
    const [entry] = entries();
    const file = join(cache, "templates", entry!);
    writeFileSync(file, readFileSync(file, "utf8").replace('"port "', '"kept "'));
    expect(render("t.njk", "port {{ port }}\n", { port: 180 })).toBe("kept 180\n");
    // another text: another entry, never the old one's output
    expect(render("t.njk", "peer {{ port }}\n", { port: 181 })).toBe("peer 181\n");
    expect(entries()).toHaveLength(2);
  });

  it("a damaged entry is compiled again; errors still name the template's line", () => {
    expect(render("d.njk", "a {{ x }}\n", { x: 1 })).toBe("a 1\n");
    for (const f of entries()) writeFileSync(join(cache, "templates", f), "this is not JavaScript {");
    expect(render("d.njk", "a {{ x }}\n", { x: 2 })).toBe("a 2\n");
    // an undefined variable is found by the compiled code itself: the kept one too
    expect(() => render("d.njk", "a {{ x }}\n", {})).toThrow(/d\.njk:1: 'x' is undefined for host a/);
    expect(() => render("d.njk", "a {{ x }}\n", {})).toThrow(/d\.njk:1: 'x' is undefined for host a/);
    // a syntax error is never kept, so it is reported every time
    const before = entries().length;
    expect(() => render("e.njk", "b\n{% if %}\n", {})).toThrow(/e\.njk:2/);
    expect(() => render("e.njk", "b\n{% if %}\n", {})).toThrow(/e\.njk:2/);
    expect(entries()).toHaveLength(before);
  });
});

describe("the cache folder", () => {
  it("is off with BGPMESH_CACHE_DIR=off or empty, and not used when others may write it", () => {
    expect(controllerCacheDir("templates", { BGPMESH_CACHE_DIR: "off" })).toBeUndefined();
    expect(controllerCacheDir("templates", { BGPMESH_CACHE_DIR: "" })).toBeUndefined();
    const open = join(root, "open");
    expect(controllerCacheDir("templates", { BGPMESH_CACHE_DIR: open })).toBe(join(open, "templates"));
    chmodSync(join(open, "templates"), 0o777);
    expect(controllerCacheDir("templates", { BGPMESH_CACHE_DIR: open })).toBeUndefined();
    // XDG_CACHE_HOME, as other tools use it
    expect(controllerCacheDir("templates", { XDG_CACHE_HOME: join(root, "xdg") })).toBe(join(root, "xdg", "bgpmesh-provision", "templates"));
  });
});
