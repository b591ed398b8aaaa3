import { Command } from "commander";
import { inventoryRedactor, loadInventory } from "../inventory/index.js";
import { selectHosts } from "../engine/select.js";
import { collectStatus, exitCodeOf, expectedSessions } from "../status/status.js";
import { renderTable, summaryLine } from "../status/table.js";
import { connectHost } from "./connect.js";
import { acceptNewHostKeysOption, forksOption, inventoryOption, limitOption, noColorOption, timeoutOption } from "./shared-options.js";
import { secretsKeyFileOption } from "../secrets/key.js";

interface StatusFlags {
  inventory: string;
  limit?: string;
  forks: number;
  timeout: number;
  acceptNewHostKeys?: boolean;
  json?: boolean;
  color: boolean;
}

export function statusCommand(): Command {
  return new Command("status")
    .description("a quick table of every host: reachable, agent up, BGP sessions established / expected, routes the peers sent that BIRD filtered, last apply")
    .addOption(inventoryOption({ required: true }))
    .addOption(limitOption())
    .addOption(secretsKeyFileOption())
    .addOption(forksOption())
    .addOption(timeoutOption(5))
    .addOption(acceptNewHostKeysOption())
    .option("--json", "print the status as JSON instead of the table")
    .addOption(noColorOption())
    .action(async (flags: StatusFlags) => {
      const inv = await loadInventory(flags.inventory);
      const hosts = selectHosts(inv, flags.limit);
      // Connection errors quote the inventory's connection values, which may be !secret.
      const redactor = inventoryRedactor(inv);
      const redact = (t: string) => redactor.redact(t);
      const statuses = await collectStatus({
        hosts,
        expected: expectedSessions(inv),
        forks: Math.floor(flags.forks) || 1,
        connect: (h) => connectHost(inv, h, flags),
        redact,
      });
      const out = flags.json
        ? JSON.stringify({ hosts: statuses }, null, 2) + "\n"
        : renderTable(statuses, { color: flags.color }) + summaryLine(statuses, flags.color);
      process.stdout.write(redact(out));
      process.exitCode = exitCodeOf(statuses);
    });
}
