// The mesh variables of an inventory written to a temporary file: how the derive tests load one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { loadInventory, resolveHostVars } from "../../../src/inventory/index.js";
import { deriveMeshVars } from "../../../src/mesh/derive.js";

/** A derive for one test file: its inventories go to a folder removed after the file's tests. */
export function deriver(prefix: string): (yaml: string) => Promise<{ derived: Map<string, Record<string, unknown>>; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return async (yaml) => {
    const file = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, yaml);
    const inv = await loadInventory(file);
    const resolved = new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h).vars]));
    return { derived: deriveMeshVars(inv, resolved), file };
  };
}
