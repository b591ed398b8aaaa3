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

/** The first meaningful line of a failed command's output, for a log line. */
export function failureLine(r: RunResult): string {
  const out = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
  return [r.error, out?.slice(0, 200)].filter(Boolean).join(": ");
}
