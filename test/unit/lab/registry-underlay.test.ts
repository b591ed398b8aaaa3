import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// LAB_ROOT is read when layout.ts loads: point it at a temp dir first.
const root = mkdtempSync(join(tmpdir(), "bgpmesh-labroot-"));
process.env["BGPMESH_LAB_ROOT"] = root;
const { claimLab, labUnderlay, readLab, saveLab } = await import("../../../src/lab/registry.js");
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a lab's underlay in its record", () => {
  it("is kept by a later up, and another one is refused naming the way out", async () => {
    saveLab({ name: "v6u-a", index: 9, hosts: 3, underlay: "ipv6", created: "2026-12-01T00:00:00.000Z" });
    expect(labUnderlay((await claimLab("v6u-a", 4))!)).toBe("ipv6");
    expect(readLab("v6u-a")).toMatchObject({ hosts: 4, underlay: "ipv6" });
    await expect(claimLab("v6u-a", 3, undefined, "ipv4")).rejects.toThrow(
      "lab 'v6u-a' has an ipv6 underlay and --underlay asks for ipv4: `lab down --name v6u-a` first, then `lab up --name v6u-a --underlay ipv4`",
    );
  });

  it("is ipv4 for a lab recorded before --underlay existed, and such a record is not rewritten with it", async () => {
    saveLab({ name: "v4u-old", index: 10, hosts: 2, created: "2026-12-01T00:00:00.000Z" });
    expect(labUnderlay(readLab("v4u-old")!)).toBe("ipv4");
    await claimLab("v4u-old", 2, undefined, "ipv4");
    expect(JSON.parse(readFileSync(join(root, "v4u-old", "lab.json"), "utf8"))).not.toHaveProperty("underlay");
  });
});
