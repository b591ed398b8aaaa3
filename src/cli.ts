#!/usr/bin/env node
import { Command } from "commander";
import { applyCommand } from "./commands/apply.js";
import { inventoryCommand } from "./commands/inventory.js";
import { labCommand } from "./commands/lab.js";
import { planCommand } from "./commands/plan.js";
import { pullCommand } from "./commands/pull.js";
import { secretsCommand } from "./commands/secrets.js";
import { statusCommand } from "./commands/status.js";
import { verifyCommand } from "./commands/verify.js";

const program = new Command("bgpmesh-provision")
  .description("Build and run a BGP overlay (bird2) on a tinc mesh VPN with etcd and a node agent, over SSH")
  .version("0.1.0");
program.addCommand(planCommand());
program.addCommand(applyCommand());
program.addCommand(pullCommand());
program.addCommand(verifyCommand());
program.addCommand(statusCommand());
program.addCommand(inventoryCommand());
program.addCommand(secretsCommand());
program.addCommand(labCommand());

// A bug must still end in one line a person can read: Node's own report of an uncaught error
// quotes the source line, which in the bundled CLI on a node is a whole minified file.
const crash = (e: unknown) => {
  console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(70);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

// No top-level await: the bundle is CommonJS (src/bundle-entry.ts says why).
program.parseAsync(process.argv).catch((e: unknown) => {
  // Errors the tool raises are written for the user; a stack trace would only hide the message.
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
});
