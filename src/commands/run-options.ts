// Options shared by `plan` and `apply`, named as ansible-playbook names them where it has one.
import { Command, Option } from "commander";
import type { Inventory } from "../inventory/index.js";
import type { RunOptions } from "../engine/run.js";
import type { ReportOptions } from "../output/run-report.js";
import { useColor } from "../output/style.js";
import { connectHost } from "./connect.js";
import { numberOption } from "./number-option.js";
import { projectFile } from "../util/project.js";
import { secretsKeyFileOption } from "../secrets/key.js";

export interface CommonFlags {
  inventory?: string;
  extraVars: string[];
  limit?: string;
  site: string;
  forks: number;
  acceptNewHostKeys?: boolean;
  timeout: number;
  lockTimeout: number;
  json?: string;
  color: boolean;
  pkiDir?: string;
  renewCerts?: boolean;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option("-i, --inventory <file>", "inventory (Ansible YAML shape)")
    .option("-e, --extra-vars <key=value|@file>", "variables above every other level (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("-l, --limit <pattern>", "only these hosts or groups (comma-separated; !name excludes)")
    .option("--site <file>", "play list mapping groups to roles", projectFile("site.yml"))
    .option("-f, --forks <n>", "hosts worked on at once", numberOption("--forks"), 16)
    .option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts (a changed key is always refused)")
    .option("-T, --timeout <seconds>", "SSH connect timeout", numberOption("--timeout"), 10)
    .option("--lock-timeout <seconds>", "how long to wait for another apply or pull to release a host", numberOption("--lock-timeout"), 60)
    .option("--json <file>", "also write a machine-readable report (secrets masked)")
    .addOption(secretsKeyFileOption())
    .option("--pki-dir <dir>", "the mesh CA's folder (default: pki/ beside the inventory; made on first use)")
    .option("--renew-certs", "issue every host certificate again now, whatever its expiry")
    .addOption(new Option("--no-color", "no ANSI colours").default(useColor()));
}

type RunAndReport = RunOptions & ReportOptions;

export function runOptions(flags: CommonFlags, extra: Partial<RunAndReport> & Pick<RunAndReport, "apply" | "diff">): RunAndReport {
  return {
    inventory: flags.inventory,
    site: flags.site,
    extraVars: flags.extraVars,
    limit: flags.limit,
    forks: Math.floor(flags.forks),
    lockTimeoutSec: flags.lockTimeout,
    jsonReport: flags.json,
    color: flags.color,
    ...(flags.pkiDir && { pkiDir: flags.pkiDir }),
    ...(flags.renewCerts && { renewCerts: true }),
    connect: (inv: Inventory, host: string) => connectHost(inv, host, flags),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    ...extra,
  };
}
