// How the engine reaches a host: SSH for push, the local machine for pull. One small interface:
// run a command as root and get its output, or keep a command running (the host lock).

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command left running on the host; its stdin stays open until `end()`. */
export interface Session {
  /** resolves with everything the command printed up to and including `marker` on stdout */
  readUntil(marker: string): Promise<string>;
  /** sends `stdin` to the command, keeping its stdin open */
  write(stdin: string): void;
  /**
   * writes `stdin` (if given) to the command, closes its stdin, and resolves when the command has
   * exited, with all it printed
   */
  end(stdin?: string): Promise<ExecResult>;
  /** calls `fn` with each whole line the command prints on stdout from now on */
  onLine?(fn: (line: string) => void): void;
}

export interface Transport {
  /** inventory name of the host */
  readonly host: string;
  /** runs `command` with `sh -c` as root (through `sudo -n` when the login user is not root) */
  exec(command: string, stdin?: string): Promise<ExecResult>;
  /** starts `command` the same way and leaves it running */
  start(command: string): Promise<Session>;
  /** commands started on this host so far: the round trips the run cost */
  readonly roundTrips: number;
  close(): Promise<void>;
}

/** A host that could not be reached at all (as opposed to a command that failed on it). */
export class UnreachableError extends Error {}
