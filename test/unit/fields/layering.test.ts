// src/fields holds the one definition of each mesh field: a leaf the provisioner and the agent
// both import. If it imported the project, or the provisioner reached into src/agent again, a
// second copy of a rule would soon follow (two IPv4 parsers already disagreed once).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(__dirname, "../../../src");

/** Every relative import in src, as "importer -> imported" paths relative to src. */
function imports(): { from: string; to: string; spec: string }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  return files.flatMap((f) => {
    const text = readFileSync(join(SRC, f), "utf8");
    return [...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|\bimport\s+"([^"]+)"/g)].map((m) => {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      return { from: f, spec, to: spec.startsWith(".") ? relative(SRC, resolve(dirname(join(SRC, f)), spec)) : spec };
    });
  });
}

describe("src/fields", () => {
  it("imports only zod, node builtins and its own files", () => {
    const outside = imports().filter((i) => i.from.startsWith("fields/") && !(i.spec === "zod" || i.spec.startsWith("node:") || i.to.startsWith("fields/")));
    expect(outside).toEqual([]);
  });

  it("is what mesh, status, verify and commands share with the agent: none of them imports src/agent", () => {
    const reaching = imports()
      .filter((i) => /^(mesh|status|verify|commands)\//.test(i.from) && i.to.startsWith("agent/"))
      .map((i) => `${i.from} -> ${i.spec}`);
    expect(reaching).toEqual([]);
  });
});
