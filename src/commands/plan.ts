import { Command } from "commander";
import { runAndReport } from "../output/run-report.js";
import { addCommonOptions, runOptions, type CommonFlags } from "./run-options.js";

interface PlanFlags extends CommonFlags {
  out?: string;
  diff: boolean;
  detailedExitcode?: boolean;
}

export function planCommand(): Command {
  return addCommonOptions(
    new Command("plan")
      .description("show every change apply would make (packages, file diffs, services, handlers), changing nothing")
      .option("-o, --out <plan.json>", "save the plan; `apply plan.json` then runs exactly it")
      .option("--no-diff", "list changed files without their diffs")
      .option("--detailed-exitcode", "exit 0 when nothing would change, 2 when something would, 1 on errors"),
  ).action(async (flags: PlanFlags) => {
    const summary = await runAndReport(runOptions(flags, { apply: false, diff: flags.diff, outPlan: flags.out }));
    process.exitCode = summary.failed ? 1 : flags.detailedExitcode && summary.changes ? 2 : 0;
  });
}
