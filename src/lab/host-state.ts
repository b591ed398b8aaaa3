// Whether a booted lab host is really up: systemd `running`, not merely sshd answering. A host
// that is `degraded` is named with its failed units, the last lines of their journal and the
// kernel limit those lines point at, so a machine-wide limit shows as the cause it is rather than
// as hosts that later time out for no stated reason. Pure but for the probe's text, which runs
// on the host in one SSH login.

/** Journal lines kept per failed unit. */
const JOURNAL_LINES = 4;

/**
 * One shell script that prints the host's state: `state S`, then `failed UNIT` and `log UNIT
 * LINE` for each failed unit, and `job LINE` for jobs still queued when the wait ran out.
 * waitSeconds 0: the state now, without waiting for the boot to finish.
 */
export function stateProbe(waitSeconds: number): string {
  const wait = waitSeconds > 0 ? `timeout ${waitSeconds} systemctl is-system-running --wait >/dev/null 2>&1; ` : "";
  return [
    `${wait}echo "state $(systemctl is-system-running 2>&1)"`,
    `systemctl list-units --failed --no-legend --plain --full 2>/dev/null | while read -r unit _; do`,
    `  echo "failed $unit"`,
    `  journalctl -b -u "$unit" -n ${JOURNAL_LINES} --no-pager -o cat 2>/dev/null | sed "s|^|log $unit |"`,
    `done`,
    `systemctl list-jobs --no-legend --plain 2>/dev/null | head -n 5 | sed "s|^|job |"`,
  ].join("\n");
}

export interface FailedUnit {
  unit: string;
  journal: string[];
}

export interface HostState {
  /** systemctl is-system-running: running, degraded, starting, … */
  state: string;
  failed: FailedUnit[];
  /** queued jobs, when the boot had not finished */
  jobs: string[];
}

export function parseStateProbe(stdout: string): HostState {
  const s: HostState = { state: "unknown", failed: [], jobs: [] };
  for (const line of stdout.split("\n")) {
    const [tag, rest = ""] = splitFirst(line);
    if (tag === "state") s.state = rest.trim() || "unknown";
    else if (tag === "failed") s.failed.push({ unit: rest.trim(), journal: [] });
    else if (tag === "job") s.jobs.push(rest.trim().replace(/\s+/g, " "));
    else if (tag === "log") {
      const [unit, text = ""] = splitFirst(rest);
      s.failed.find((f) => f.unit === unit)?.journal.push(text.trim());
    }
  }
  return s;
}

function splitFirst(line: string): [string, string?] {
  const i = line.indexOf(" ");
  return i < 0 ? [line] : [line.slice(0, i), line.slice(i + 1)];
}

/** Messages a machine-wide limit produces inside a host, and the sysctl to raise. */
const LIMIT_SIGNS: [RegExp, string][] = [
  [/inotify.*(Too many open files|EMFILE)|(Too many open files|EMFILE).*inotify/i, "fs.inotify.max_user_instances"],
  [/inotify.*(No space left on device|ENOSPC)|inotify watch limit/i, "fs.inotify.max_user_watches"],
  [/keyring.*(Disk quota exceeded|EDQUOT)|(Disk quota exceeded|EDQUOT).*keyring/i, "kernel.keys.maxkeys / kernel.keys.maxbytes"],
  [/(fork|clone|spawn).*Resource temporarily unavailable|EAGAIN.*fork/i, "kernel.pid_max / kernel.threads-max"],
  [/neighbou?r table overflow/i, "net.ipv4.neigh.default.gc_thresh3"],
  // systemd opens inotify instances first and most; as the containers' root it shares the
  // machine's quota, so a bare EMFILE in a lab host is nearly always that quota.
  [/Too many open files|EMFILE/i, "fs.inotify.max_user_instances"],
];

/** The sysctl these lines point at, if any. */
export function likelyLimit(lines: string[]): string | undefined {
  for (const line of lines) for (const [re, key] of LIMIT_SIGNS) if (re.test(line)) return key;
  return undefined;
}

/** Why the host is not up, or undefined when systemd is `running`. */
export function hostProblem(host: string, s: HostState): string | undefined {
  if (s.state === "running") return undefined;
  const lines: string[] = [];
  if (s.failed.length > 0) {
    lines.push(`${host}: systemd is ${s.state}; failed units: ${s.failed.map((f) => f.unit).join(", ")}`);
    for (const f of s.failed) for (const j of f.journal) lines.push(`    ${f.unit}: ${j}`);
  } else if (s.jobs.length > 0) {
    lines.push(`${host}: systemd is ${s.state}, boot not finished; jobs still queued:`);
    for (const j of s.jobs) lines.push(`    ${j}`);
  } else {
    lines.push(`${host}: systemd is ${s.state}`);
  }
  const limit = likelyLimit(s.failed.flatMap((f) => f.journal));
  if (limit) lines.push(`    likely cause: the machine-wide kernel limit ${limit} (see \`lab up\`'s kernel limits)`);
  return lines.join("\n");
}

/** systemd colours its console status lines and ends them with CR CR LF. */
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m|\r/g, "");

/** Why a host that never let us log in is not up, from its console output. */
export function bootProblem(host: string, what: string, consoleText: string): string {
  // The console file gathers every boot of the host; only the last one tells about this one.
  const boots = consoleText.split(/^(?=Spawning container )/m);
  const all = (boots.at(-1) ?? "").split("\n").map(plain);
  const lines = [`${host}: ${what}`];
  const shown = all.filter((l) => l.trim() !== "").slice(-6);
  if (shown.length > 0) lines.push("    last console lines:", ...shown.map((l) => `      ${l}`));
  const limit = likelyLimit(all);
  if (limit) lines.push(`    likely cause: the machine-wide kernel limit ${limit}`);
  return lines.join("\n");
}
