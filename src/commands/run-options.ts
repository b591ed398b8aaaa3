// Options shared by `plan` and `apply`, named as ansible-playbook names them where it has one.
import type { Command } from "commander";
import type { Inventory } from "../inventory/index.js";
import type { RunOptions } from "../engine/run.js";
import type { ReportOptions } from "../output/run-report.js";
import { connectHost } from "./connect.js";
import { secretsKeyFileOption } from "../secrets/key.js";
import {
  acceptNewHostKeysOption,
  extraVarsOption,
  forksOption,
  serialOption,
  inventoryOption,
  limitOption,
  lockTimeoutOption,
  noColorOption,
  siteOption,
  timeoutOption,
} from "./shared-options.js";

export interface CommonFlags {
  inventory?: string;
  extraVars: string[];
  limit?: string;
  site: string;
  forks: number;
  serial?: number;
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
    .addOption(inventoryOption())
    .addOption(extraVarsOption())
    .addOption(limitOption())
    .addOption(siteOption())
    .addOption(forksOption())
    .addOption(serialOption())
    .addOption(acceptNewHostKeysOption())
    .addOption(timeoutOption(10))
    .addOption(lockTimeoutOption(60))
    .option("--json <file>", "also write a machine-readable report (secrets masked)")
    .addOption(secretsKeyFileOption())
    .option("--pki-dir <dir>", "the mesh CA's folder (default: pki/ beside the inventory; made on first use)")
    .option("--renew-certs", "issue every host certificate again now, whatever its expiry")
    .addOption(noColorOption());
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
    ...(flags.serial !== undefined && { serialCap: flags.serial }),
    jsonReport: flags.json,
    color: flags.color,
    ...(flags.pkiDir && { pkiDir: flags.pkiDir }),
    ...(flags.renewCerts && { renewCerts: true }),
    connect: (inv: Inventory, host: string) => connectHost(inv, host, flags),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    live: process.stderr.isTTY === true,
    ...extra,
  };
}
