import { Command, Option } from "commander";
import { numberOption } from "./number-option.js";
import { inventoryRedactor, loadInventory } from "../inventory/index.js";
import { selectHosts } from "../engine/select.js";
import { useColor } from "../output/style.js";
import { collectStatus, exitCodeOf, expectedSessions } from "../status/status.js";
import { renderTable, summaryLine } from "../status/table.js";
import { connectHost } from "./connect.js";
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
    .description("a quick table of every host: reachable, agent up, BGP sessions established / expected, last apply")
    .requiredOption("-i, --inventory <file>", "inventory (Ansible YAML shape)")
    .option("-l, --limit <pattern>", "only these hosts or groups (comma-separated; !name excludes)")
    .addOption(secretsKeyFileOption())
    .option("-f, --forks <n>", "hosts asked at once", numberOption("--forks"), 16)
    .option("-T, --timeout <seconds>", "SSH connect timeout", numberOption("--timeout"), 5)
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts (a changed key is always refused)")
    .option("--json", "print the status as JSON instead of the table")
    .addOption(new Option("--no-color", "no ANSI colours").default(useColor()))
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
