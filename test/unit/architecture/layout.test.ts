// The layout docs/architecture.md describes, checked on the source itself: imports between the
// folders of src/ go one way, the agent is a leaf its bundle can carry alone, the mesh fields and the
// shared data types import nothing of the project, and no file grows past what one reading can hold.
// (If fields or the agent imported the provisioner, a second copy of a rule would soon follow: two
// IPv4 parsers already disagreed once.)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = "src";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const files = sources(SRC);
const folderOf = (file: string) => relative(SRC, dirname(file)) || ".";

/** Every relative import and re-export of a file (type-only ones too: they tie folders as much). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    found.push(normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return found;
}

const edges = new Map<string, Set<string>>();
const fileEdges: [string, string][] = [];
for (const f of files) {
  for (const target of importsOf(f)) {
    fileEdges.push([f, target]);
    const [a, b] = [folderOf(f), folderOf(target)];
    if (a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a)!).add(b);
  }
}

/** A path of folders from `from` back to itself, if there is one. */
function cycleThrough(from: string): string[] | undefined {
  const stack: [string, string[]][] = [[from, [from]]];
  const seen = new Set<string>();
  while (stack.length) {
    const [at, path] = stack.pop()!;
    for (const next of edges.get(at) ?? []) {
      if (next === from) return [...path, from];
      if (!seen.has(next)) {
        seen.add(next);
        stack.push([next, [...path, next]]);
      }
    }
  }
  return undefined;
}

describe("the layout of src/", () => {
  it("reads the imports it checks (the scan finds the engine's use of the registry)", () => {
    expect(edges.get("engine")).toContain("resources");
    expect(edges.get("commands")?.size).toBeGreaterThan(5);
  });

  it("has no import cycle between folders", () => {
    const cycles = [...edges.keys()].flatMap((f) => cycleThrough(f)?.join(" → ") ?? []);
    expect(cycles).toEqual([]);
  });

  it("keeps the agent a leaf its bundle can carry alone: it imports only itself and the shared leaves, and nothing imports it", () => {
    const leaves = ["src/agent/", "src/fields/", "src/util/"];
    const reaching = fileEdges.filter(([f, t]) => f.startsWith("src/agent/") && !leaves.some((l) => t.startsWith(l))).map(([f, t]) => `${f} → ${t}`);
    expect(reaching).toEqual([]);
    // The provisioner shares rules with the agent through src/fields, never by reaching into it.
    const into = fileEdges.filter(([f, t]) => !f.startsWith("src/agent/") && t.startsWith("src/agent/")).map(([f, t]) => `${f} → ${t}`);
    expect(into).toEqual([]);
  });

  it("keeps src/fields, the one definition of each mesh field, a leaf (zod and node builtins aside)", () => {
    expect(fileEdges.filter(([f, t]) => f.startsWith("src/fields/") && !t.startsWith("src/fields/")).map(([f, t]) => `${f} → ${t}`)).toEqual([]);
    const packages = files.filter((f) => f.startsWith("src/fields/")).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\bfrom\s+"([^."][^"]*)"/g)].map((m) => m[1]!));
    expect(packages.filter((p) => p !== "zod" && !p.startsWith("node:"))).toEqual([]);
  });

  it.each(["model", "util"])("keeps src/%s a leaf: it imports nothing of the project outside itself", (folder) => {
    expect(fileEdges.filter(([f, t]) => f.startsWith(`src/${folder}/`) && !t.startsWith(`src/${folder}/`)).map(([f, t]) => `${f} → ${t}`)).toEqual([]);
  });

  it("has no source file over 400 lines", () => {
    const long = files.map((f) => [f, readFileSync(f, "utf8").split("\n").length - 1] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
