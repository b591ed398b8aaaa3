// Pull mode's transport: the same interface, on this machine, through child processes.
import { spawn } from "node:child_process";
import { constants, userInfo } from "node:os";
import { RunningCommand } from "./running.js";
import { SudoError, sudoProblem } from "./sudo.js";
import type { ExecResult, Session, Transport } from "./transport.js";

export function localTransport(name: string): Transport {
  const root = process.getuid?.() === 0;
  const user = root ? "root" : userInfo().username;
  const check = (r: ExecResult) => (root ? undefined : sudoProblem(name, user, r));
  let roundTrips = 0;

  const open = (command: string): RunningCommand => {
    roundTrips++;
    const [file, args] = root ? ["sh", ["-c", command]] : ["sudo", ["-n", "--", "sh", "-c", command]];
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number>((resolve, reject) => {
      child.once("error", (e: NodeJS.ErrnoException) => {
        reject(
          !root && (e.code === "ENOENT" || e.code === "EACCES")
            ? new SudoError(`${name}: cannot run sudo (${e.code}: not installed?), and this runs as ${user}, not root — install sudo and give ${user} NOPASSWD sudo, or run as root`)
            : new Error(`${name}: cannot run ${file}: ${e.message}`),
        );
      });
      // 'close' comes after stdout and stderr are drained, unlike 'exit'.
      child.once("close", (code, signal) => {
        const n = signal ? (constants.signals as Record<string, number | undefined>)[signal] : undefined;
        resolve(code ?? (n === undefined ? 255 : 128 + n));
      });
    });
    return new RunningCommand({ stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited }, check);
  };

  return {
    host: name,
    get roundTrips() {
      return roundTrips;
    },
    exec: (command: string, stdin?: string): Promise<ExecResult> => open(command).finish(stdin),
    start: async (command: string): Promise<Session> => open(command),
    close: async () => undefined,
  };
}
