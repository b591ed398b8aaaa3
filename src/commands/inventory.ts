import { Command, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  groupsOf,
  hostVarsYaml,
  InventoryError,
  inventoryList,
  loadInventory,
  parseExtraVars,
  resolveHostVars,
} from "../inventory/index.js";
import { projectFile } from "../util/project.js";
import { secretsKeyFileOption } from "../secrets/key.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fromVagrant } from "../vagrant/from-vagrant.js";
import { VagrantInputError } from "../vagrant/ssh-config.js";
import { extraVarsOption } from "./shared-options.js";

export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface InventoryOptions {
  inventory?: string;
  extraVars?: string[];
  host?: string;
  list?: boolean;
  fromVagrant?: boolean;
  vagrantDir?: string;
  sshConfig?: string;
  underlay?: string[];
  out?: string;
}

const VAGRANT_ONLY = [
  ["vagrantDir", "--vagrant-dir"],
  ["sshConfig", "--ssh-config"],
  ["underlay", "--underlay"],
  ["out", "--out"],
] as const;

const NO_INVENTORY =
  "required option '-i, --inventory <path>' not specified (or --from-vagrant, to write an inventory for Vagrant's machines)";

/** `inventory`: shows the inventory as this tool reads it, to check it before anything is changed. */
export function inventoryCommand(out: CommandOutput = processOutput): Command {
  return new Command("inventory")
    .description(
      "show hosts, groups and resolved variables as this tool reads them (secrets masked); " +
        "with --from-vagrant, write an inventory for Vagrant's machines",
    )
    .option("-i, --inventory <path>", "inventory file (Ansible YAML inventory); required unless --from-vagrant")
    .addOption(extraVarsOption())
    .option("--host <name>", "print one host's resolved variables as YAML, with where each was set")
    .addOption(secretsKeyFileOption())
    .addOption(
      new Option("--list", "print all groups and hosts as JSON, like ansible-inventory --list (the default)").conflicts(
        "host",
      ),
    )
    .addOption(
      new Option("--from-vagrant", "write an inventory from `vagrant ssh-config`, and known_hosts lines for pinned host keys").conflicts([
        "inventory",
        "extraVars",
        "host",
        "list",
      ]),
    )
    .option("--vagrant-dir <dir>", "with --from-vagrant: the folder with the Vagrantfile (default: this project's vagrant/)")
    .option("--ssh-config <file>", "with --from-vagrant: recorded `vagrant ssh-config` output instead of running vagrant; - is stdin")
    .option("--underlay <name=addr...>", "with --from-vagrant: the address other machines reach NAME at (needed behind a port forward); repeatable")
    .option("--out <file>", "with --from-vagrant: write the inventory here instead of to stdout")
    .action(async (opts: InventoryOptions) => {
      try {
        if (opts.fromVagrant) {
          await writeFromVagrant(opts, out);
          return;
        }
        const stray = VAGRANT_ONLY.find(([key]) => opts[key] !== undefined);
        if (stray || opts.inventory === undefined) {
          out.stderr(`error: ${stray ? `${stray[1]} goes with --from-vagrant` : NO_INVENTORY}\n`);
          process.exitCode = 1;
          return;
        }
        const extraVars = parseExtraVars(opts.extraVars ?? []);
        const inv = await loadInventory(opts.inventory, { extraVars });
        if (opts.host !== undefined) {
          out.stdout(hostVarsYaml(resolveHostVars(inv, opts.host), groupsOf(inv, opts.host)));
        } else {
          out.stdout(`${JSON.stringify(inventoryList(inv), null, 2)}\n`);
        }
      } catch (e) {
        // The message already says where and what; a stack trace would bury it.
        if (!(e instanceof InventoryError || e instanceof VagrantInputError)) throw e;
        out.stderr(`${e.message}\n`);
        process.exitCode = 1;
      }
    });
}

async function writeFromVagrant(opts: InventoryOptions, out: CommandOutput): Promise<void> {
  const result = await fromVagrant({
    vagrantDir: opts.vagrantDir ?? projectFile("vagrant"),
    ...(opts.sshConfig !== undefined && { sshConfig: opts.sshConfig }),
    underlay: opts.underlay ?? [],
  });
  if (opts.out !== undefined && !existsSync(dirname(resolve(opts.out)))) {
    throw new VagrantInputError(`--out ${opts.out}: its folder does not exist`);
  }
  try {
    const current = existsSync(result.knownHostsFile) ? readFileSync(result.knownHostsFile, "utf8") : "";
    if (result.knownHosts !== current) writeFileAtomic(result.knownHostsFile, result.knownHosts);
    if (opts.out !== undefined) writeFileAtomic(opts.out, result.inventory);
  } catch (e) {
    throw new VagrantInputError(`cannot write the inventory or known_hosts: ${(e as Error).message}`);
  }
  for (const note of result.notes) out.stderr(`${note}\n`);
  if (opts.out === undefined) out.stdout(result.inventory);
  else out.stderr(`wrote ${opts.out} (${result.hostCount} hosts) and ${result.knownHostsFile}\n`);
}
