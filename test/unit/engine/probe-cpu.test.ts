import { describe, expect, it } from "vitest";
import { probeCpuSeconds } from "../../../src/engine/host-run.js";
import { run } from "../../../src/util/exec.js";

describe("the probe's CPU on the host", () => {
  it("adds up the shell's and its commands' user and system time that `times` prints after the probe", () => {
    expect(probeCpuSeconds("R\t0\tx\n@@cpu\n0m0.010000s 0m0.020000s\n0m1.500000s 1m0.250000s\n")).toBeCloseTo(61.78, 6);
    expect(probeCpuSeconds("@@cpu\n0m0.01s 0m0.02s\n0m0.03s 0m0.04s\n")).toBeCloseTo(0.1, 6);
  });

  it("is unknown without the lines", () => {
    expect(probeCpuSeconds("R\t0\tx\n")).toBeUndefined();
    expect(probeCpuSeconds("@@cpu\n0m0.01s\n")).toBeUndefined();
  });

  it("reads what this machine's sh prints", async () => {
    const r = await run("sh", ["-s"], { input: "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done\necho @@cpu; times\n" });
    const cpu = probeCpuSeconds(r.stdout);
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThan(30);
  });
});
