// The options more than one command has, each defined once (flag, help text, parser, default), so
// `-T` or `-e` cannot mean something slightly different from one command to the next. A default
// that differs between commands for a reason is the caller's argument, with the reason beside it.
import { InvalidArgumentError, Option } from "commander";
import { useColor } from "../output/style.js";
import { projectFile } from "../util/project.js";
import { numberOption } from "./number-option.js";

/** `-i`: required where the command has nothing to do without one (verify, status). */
export function inventoryOption(opts: { required?: boolean } = {}): Option {
  const option = new Option("-i, --inventory <file>", "inventory (Ansible YAML shape)");
  return opts.required ? option.makeOptionMandatory() : option;
}

/** `-e`, repeatable; later ones beat earlier ones (docs/inventory.md). */
export function extraVarsOption(): Option {
  return new Option("-e, --extra-vars <key=value|@file>", "variables above every other level: key=value, @file.yml or {key: value} (repeatable)")
    .argParser((v: string, acc: string[]) => [...acc, v])
    .default([] as string[]);
}

export function limitOption(): Option {
  return new Option("-l, --limit <pattern>", "only these hosts or groups (comma-separated; !name excludes)");
}

export function siteOption(): Option {
  return new Option("--site <file>", "play list mapping groups to roles").default(projectFile("site.yml"));
}

export function forksOption(): Option {
  return new Option("-f, --forks <n>", "hosts worked on at once").argParser(numberOption("--forks")).default(16);
}

/** `--serial` (ansible-playbook's name): a cap on every rolling handler's hosts at once, never a raise. */
export function serialOption(): Option {
  return new Option("--serial <n>", "at most n hosts at once in any rolling handler (restart tinc, agent, etcd), whatever the roles say").argParser((v: string) => {
    const n = numberOption("--serial")(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError("--serial must be a whole number of hosts");
    return n;
  });
}

/**
 * `-T`: SSH connect timeout. The default is the command's: 10 s for plan, apply and verify; 5 s
 * for status, a quick look at which a host that does not answer should not hold up for long.
 */
export function timeoutOption(defaultSeconds: number): Option {
  return new Option("-T, --timeout <seconds>", "SSH connect timeout").argParser(numberOption("--timeout", { unit: "seconds" })).default(defaultSeconds);
}

/**
 * `--lock-timeout`: the default is the command's: 60 s for a person running plan or apply; 300 s
 * for an unattended pull, which has nobody to run it again if it gives up while a push holds the host.
 */
export function lockTimeoutOption(defaultSeconds: number): Option {
  return new Option("--lock-timeout <seconds>", "how long to wait for another apply or pull to release the host")
    .argParser(numberOption("--lock-timeout", { unit: "seconds" }))
    .default(defaultSeconds);
}

export function acceptNewHostKeysOption(): Option {
  return new Option("--accept-new-host-keys", "trust and record the key of a host not yet in known_hosts (a changed key is always refused)");
}

export function noColorOption(): Option {
  return new Option("--no-color", "no ANSI colours").default(useColor());
}
