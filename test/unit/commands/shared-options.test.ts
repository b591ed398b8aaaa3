import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { applyCommand } from "../../../src/commands/apply.js";
import { inventoryCommand } from "../../../src/commands/inventory.js";
import { planCommand } from "../../../src/commands/plan.js";
import { pullCommand } from "../../../src/commands/pull.js";
import { statusCommand } from "../../../src/commands/status.js";
import { verifyCommand } from "../../../src/commands/verify.js";

const option = (cmd: Command, long: string) => cmd.options.find((o) => o.long === long);

describe("the options several commands share", () => {
  it.each([
    ["plan", planCommand],
    ["apply", applyCommand],
    ["inventory", () => inventoryCommand()],
    ["verify", verifyCommand],
    ["pull", pullCommand],
  ] as Array<[string, () => Command]>)("-e is repeatable in %s, later ones last", (_, make) => {
    const e = option(make(), "--extra-vars")!;
    expect(e.short).toBe("-e");
    expect(e.defaultValue).toEqual([]);
    expect(e.parseArg!("b=2", e.parseArg!("a=1", e.defaultValue))).toEqual(["a=1", "b=2"]);
  });

  it.each([
    ["plan", planCommand, 10],
    ["apply", applyCommand, 10],
    ["verify", verifyCommand, 10],
    ["status", statusCommand, 5],
  ] as Array<[string, () => Command, number]>)("-T in %s takes seconds, with its default, and refuses what is not a positive number", (_, make, seconds) => {
    const t = option(make(), "--timeout")!;
    expect(t.short).toBe("-T");
    expect(t.description).toBe("SSH connect timeout");
    expect(t.defaultValue).toBe(seconds);
    expect(t.parseArg!("2.5", undefined)).toBe(2.5);
    for (const bad of ["abc", "0", "-1"]) expect(() => t.parseArg!(bad, undefined)).toThrow("--timeout must be a positive number of seconds");
  });

  it("--lock-timeout: one parser; 60 s for plan and apply, 300 s for an unattended pull", () => {
    expect([planCommand(), applyCommand(), pullCommand()].map((c) => option(c, "--lock-timeout")!.defaultValue)).toEqual([60, 60, 300]);
    expect(() => option(planCommand(), "--lock-timeout")!.parseArg!("soon", undefined)).toThrow("--lock-timeout must be a positive number of seconds");
  });
});
