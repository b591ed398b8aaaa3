import { Command } from "commander";
import { numberOption } from "./number-option.js";
import { extraVarsOption, lockTimeoutOption, noColorOption } from "./shared-options.js";
import { pull } from "../pull/pull.js";
import { secretsKeyFileOption } from "../secrets/key.js";

interface PullFlags {
  repo: string;
  branch: string;
  inventory: string;
  site?: string;
  host?: string;
  onlyIfChanged?: boolean;
  sleep: number;
  check?: boolean;
  directory: string;
  extraVars: string[];
  lockTimeout: number;
  json?: string;
  color: boolean;
}

export function pullCommand(): Command {
  return new Command("pull")
    .description("on a node (from cron): fetch the configuration repository and apply this host's roles locally, as ansible-pull does")
    .requiredOption("-U, --repo <url>", "git repository holding the inventory (and, optionally, site.yml and roles/ of its own)")
    .option("-C, --branch <name>", "branch to apply", "main")
    .option("-i, --inventory <path>", "inventory inside the repository", "inventory.yml")
    .option("--site <path>", "play list inside the repository (default: its site.yml, else the one installed with the tool)")
    .option("--host <name>", "this host's name in the inventory (default: the hostname)")
    .option("-o, --only-if-changed", "do nothing, not even a plan, when this commit is the one last applied with this version of the tool")
    .option("-s, --sleep <seconds>", "wait a random time up to this long first, so a fleet does not pull at once", numberOption("--sleep", { allowZero: true, unit: "seconds" }), 0)
    .option("--check", "change nothing: print the plan with diffs and exit 2 when the host differs from the repository")
    .option("-d, --directory <dir>", "working copy of the repository", "/var/lib/bgpmesh/pull/checkout")
    .addOption(extraVarsOption())
    .addOption(lockTimeoutOption(300))
    .option("--json <file>", "also write a machine-readable report (secrets masked)")
    .addOption(secretsKeyFileOption())
    .addOption(noColorOption())
    .action(async (flags: PullFlags) => {
      process.exitCode = await pull({
        repo: flags.repo,
        branch: flags.branch,
        inventory: flags.inventory,
        site: flags.site,
        host: flags.host,
        onlyIfChanged: flags.onlyIfChanged === true,
        sleepMaxSec: flags.sleep,
        check: flags.check === true,
        checkoutDir: flags.directory,
        extraVars: flags.extraVars,
        lockTimeoutSec: flags.lockTimeout,
        jsonReport: flags.json,
        color: flags.color,
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
