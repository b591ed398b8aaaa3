// Imports between the folders of src/, from the source text: which folder needs which.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The top folder under src/ of a file ("" for src/cli.ts). */
const folderOf = (file: string) => (relative(SRC, file).includes("/") ? relative(SRC, file).split("/")[0]! : "");

/** folder → the folders its files import (relative imports only, type-only ones too). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of tsFiles(SRC)) {
    const from = folderOf(file);
    const deps = graph.get(from) ?? new Set<string>();
    graph.set(from, deps);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s+["'](\.[^"']+)["']/g)) {
      const to = folderOf(resolve(dirname(file), spec!));
      if (to !== from) deps.add(to);
    }
  }
  return graph;
}

/** Folders that `start` reaches through imports. */
function reach(graph: Map<string, Set<string>>, start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(start) ?? [])];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

describe("imports between the folders of src/", () => {
  const graph = folderGraph();

  it.each(["inventory", "secrets"])("no import cycle runs through %s", (folder) => {
    const back = [...reach(graph, folder)].filter((f) => f === folder || reach(graph, f).has(folder));
    expect(back).toEqual([]);
  });

  it("util is a leaf: it imports nothing of the project outside src/util (the agent's bundle imports it)", () => {
    expect([...(graph.get("util") ?? [])]).toEqual([]);
  });
});
