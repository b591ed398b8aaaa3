// Runs a command without a shell (argv only), with a timeout; never throws.
import { execFile } from "node:child_process";

export interface RunResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

export type Runner = (argv: readonly string[], timeoutMs?: number) => Promise<RunResult>;

export const runCommand: Runner = (argv, timeoutMs = 20_000) =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) {
      resolve({ ok: false, code: null, stdout: "", stderr: "", error: "empty command" });
      return;
    }
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ ok: true, code: 0, stdout, stderr });
        return;
      }
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      resolve({
        ok: false,
        code: typeof e.code === "number" ? e.code : null,
        stdout: stdout ?? "",
        stderr: stderr ?? "",
        error: e.killed ? `timed out after ${timeoutMs} ms` : typeof e.code === "string" ? e.code : `exit ${String(e.code)}`,
      });
    });
  });

// Lines that never say why a command failed: birdc's banner ("BIRD 3.1.8 ready.") and BIRD's
// config warnings. BIRD 2.17 and 3 warn "Missing authentication option, assuming MD5" for every
// session with a password (the `authentication md5` that would silence it is unknown to 2.0.12),
// so a refused peers.conf's first stderr line was a warning, not its error.
const NOT_A_REASON = [/^BIRD \S+ ready\.$/, /<WARN>/, /^Reading configuration from /];

/** The first meaningful line of a failed command's output, for a log line. */
export function failureLine(r: RunResult): string {
  const lines = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const out = lines.find((l) => !NOT_A_REASON.some((re) => re.test(l))) ?? lines[0];
  return [r.error, out?.slice(0, 200)].filter(Boolean).join(": ");
}
