import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, onTestFinished } from "vitest";
import { InventoryError } from "../../../src/inventory/index.js";

/** Writes files (path relative to a new temp dir → content) and returns the dir, removed after the test. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bgpmesh-inv-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** The InventoryError a promise or function fails with, its message with `dir/` cut so tests read like the user's view. */
export async function inventoryError(run: () => unknown, dir?: string): Promise<InventoryError & { shown: string }> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InventoryError);
  const err = caught as InventoryError;
  const shown = dir ? err.message.split(`${dir}/`).join("") : err.message;
  return Object.assign(err, { shown });
}

export const FIXTURES = "test/fixtures/inventory";
export const BASIC = `${FIXTURES}/basic/inventory.yml`;
export const BASIC_ENV = { BGPMESH_TEST_BGP_PASSWORD: "bgp-ENV-SECRET-456" };
