import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { cli, cliOk, labInfo, type LabInfo } from "./cli.js";

/**
 * A fresh lab for one test file: brought up (after clearing any leftover of the same name) before
 * its tests, with a temp work folder, and taken down after them. One lab per file keeps files
 * that run side by side apart, and the tests of one file share it. `release`: `lab up --release`;
 * `underlay`: `lab up --underlay`.
 */
export function labPerFile(name: string, hosts: number, ready: (lab: LabInfo, work: string) => void, opts: { release?: string; underlay?: string } = {}): void {
  let work: string | undefined;
  beforeAll(async () => {
    await cli("lab", "down", "--name", name);
    await cliOk("lab", "up", "--name", name, "--hosts", String(hosts), ...(opts.release ? ["--release", opts.release] : []), ...(opts.underlay ? ["--underlay", opts.underlay] : []));
    work = mkdtempSync(join(tmpdir(), `bgpmesh-${name}-`));
    ready(await labInfo(name), work);
  });
  afterAll(async () => {
    await cli("lab", "down", "--name", name);
    if (work) rmSync(work, { recursive: true, force: true });
  });
}
