import { Command, Option } from "commander";
import {
  groupsOf,
  hostVarsYaml,
  InventoryError,
  inventoryList,
  loadInventory,
  parseExtraVars,
  resolveHostVars,
} from "../inventory/index.js";

export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface InventoryOptions {
  inventory: string;
  extraVars?: string[];
  host?: string;
  list?: boolean;
}

/** `inventory`: shows the inventory as this tool reads it, to check it before anything is changed. */
export function inventoryCommand(out: CommandOutput = processOutput): Command {
  return new Command("inventory")
    .description("show hosts, groups and resolved variables as this tool reads them (secrets masked)")
    .requiredOption("-i, --inventory <path>", "inventory file (Ansible YAML inventory)")
    .option("-e, --extra-vars <kv...>", "extra variables: key=value, @file.yml or {key: value}; repeatable")
    .option("--host <name>", "print one host's resolved variables as YAML, with where each was set")
    .addOption(
      new Option("--list", "print all groups and hosts as JSON, like ansible-inventory --list (the default)").conflicts(
        "host",
      ),
    )
    .action(async (opts: InventoryOptions) => {
      try {
        const extraVars = parseExtraVars(opts.extraVars ?? []);
        const inv = await loadInventory(opts.inventory, { extraVars });
        if (opts.host !== undefined) {
          out.stdout(hostVarsYaml(resolveHostVars(inv, opts.host), groupsOf(inv, opts.host)));
        } else {
          out.stdout(`${JSON.stringify(inventoryList(inv), null, 2)}\n`);
        }
      } catch (e) {
        // The message already says where and what; a stack trace would bury it.
        if (!(e instanceof InventoryError)) throw e;
        out.stderr(`${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
