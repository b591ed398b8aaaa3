import { spawn } from "node:child_process";

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve instead of throwing when the command exits non-zero. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join("\n");
    super(`${command} failed (exit ${result.code})${detail ? `:\n${detail}` : ""}`);
  }
}

/** Runs a program without a shell (arguments are never re-parsed) and captures its output. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on("close", (code, signal) => {
      const result: RunResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (result.code !== 0 && !opts.allowFailure) {
        reject(new CommandError([cmd, ...args].join(" "), result));
      } else {
        resolve(result);
      }
    });
    child.stdin.on("error", () => {
      /* the program may exit before reading its input; its exit code tells what happened */
    });
    child.stdin.end(opts.input ?? "");
  });
}

export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await run(cmd, args, { allowFailure: true })).code === 0;
  } catch {
    return false;
  }
}
