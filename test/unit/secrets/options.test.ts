import { afterEach, describe, expect, it } from "vitest";
import type { Command } from "commander";
import { applyCommand } from "../../../src/commands/apply.js";
import { inventoryCommand } from "../../../src/commands/inventory.js";
import { planCommand } from "../../../src/commands/plan.js";
import { pullCommand } from "../../../src/commands/pull.js";
import { statusCommand } from "../../../src/commands/status.js";
import { verifyCommand } from "../../../src/commands/verify.js";
import { secretsKey, useSecretsKeyFile } from "../../../src/secrets/key.js";
import { AGE_TESTS, KEY, writeKeyFile, writeTree } from "./helpers.js";

describe("--secrets-key-file", AGE_TESTS, () => {
  afterEach(() => useSecretsKeyFile(undefined));

  it.each([
    ["plan", planCommand],
    ["apply", applyCommand],
    ["inventory", () => inventoryCommand()],
    ["verify", verifyCommand],
    ["status", statusCommand],
    ["pull", pullCommand],
  ] as Array<[string, () => Command]>)("is an option of %s, and parsing it sets the key the loader uses", async (_, make) => {
    const cmd = make();
    const option = cmd.options.find((o) => o.long === "--secrets-key-file");
    expect(option).toBeDefined();
    const file = await writeKeyFile(await writeTree({}));
    option!.parseArg!(file, undefined);
    expect(secretsKey({})).toEqual({ value: KEY, from: `key file ${file} (--secrets-key-file)` });
  });
});
