import { Command } from "commander";
import { runAndReport } from "../output/run-report.js";
import { addCommonOptions, runOptions, type CommonFlags } from "./run-options.js";

interface ApplyFlags extends CommonFlags {
  check?: boolean;
  diff?: boolean;
  detailedExitcode?: boolean;
}

export function applyCommand(): Command {
  return addCommonOptions(
    new Command("apply")
      .description("bring the hosts to the state their roles describe; with a saved plan, run exactly that plan")
      .argument("[plan.json]", "a plan saved by `plan --out`: applied only where nothing moved since")
      .option("-C, --check", "change nothing: show the plan instead (as ansible-playbook --check)")
      .option("-D, --diff", "with --check, show file diffs (as ansible-playbook --diff)")
      .option("--detailed-exitcode", "with --check: exit 2 when something would change"),
  ).action(async (planFile: string | undefined, flags: ApplyFlags) => {
    if (flags.check) {
      const summary = await runAndReport(runOptions(flags, { apply: false, diff: flags.diff === true, planFile }));
      process.exitCode = summary.failed ? 1 : flags.detailedExitcode && summary.changes ? 2 : 0;
      return;
    }
    const summary = await runAndReport(runOptions(flags, { apply: true, diff: false, planFile }));
    process.exitCode = summary.failed ? 1 : 0;
  });
}
