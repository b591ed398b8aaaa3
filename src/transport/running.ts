// A started command, whatever carries it (an SSH channel, a child process): feeds its stdin, gathers
// its output as bytes (decoded once at the end, so no character is split between chunks) and lets the
// caller wait for a marker line while the command keeps running.
import type { Readable, Writable } from "node:stream";
import type { ExecResult, Session } from "./transport.js";

const NL = Buffer.from("\n");

/** Output bytes in one buffer that grows by doubling: appending and searching stay linear overall. */
class ByteLog {
  private buf = Buffer.alloc(0);
  private len = 0;
  append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + chunk.length, 4096));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export interface CommandIO {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** the exit code once the command has exited and its output is all read; rejects if the host went away */
  exited: Promise<number>;
}

/** Turns a finished command's result into the error to throw instead, if any (sudo refusing, say). */
export type ResultCheck = (r: ExecResult) => Error | undefined;

export class RunningCommand implements Session {
  private readonly out = new ByteLog();
  private readonly err: Buffer[] = [];
  /** bytes of stdout already handed out by readUntil */
  private consumed = 0;
  private waiting: { marker: Buffer; from: number; resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
  private readonly result: Promise<ExecResult>;
  private ended: Promise<ExecResult> | undefined;

  constructor(
    private readonly io: CommandIO,
    private readonly check: ResultCheck,
  ) {
    io.stdout.on("data", (b: Buffer) => {
      this.out.append(b);
      this.lookForMarker(false);
      this.feedLines();
    });
    io.stderr.on("data", (b: Buffer) => this.err.push(b));
    // The command may exit without reading its input; its exit code says what happened.
    io.stdin.on("error", () => undefined);
    this.result = io.exited.then((code) => ({
      code,
      stdout: this.out.view().toString("utf8"),
      stderr: Buffer.concat(this.err).toString("utf8"),
    }));
    this.settleAfterExit();
  }

  private lineWatch: { fn: (line: string) => void; from: number } | undefined;

  /** Calls `fn` with each whole line of stdout from now on, as it arrives. */
  onLine(fn: (line: string) => void): void {
    this.lineWatch = { fn, from: this.out.view().length };
  }

  private feedLines(): void {
    const w = this.lineWatch;
    if (!w) return;
    const all = this.out.view();
    for (let nl = all.indexOf(NL, w.from); nl >= 0; nl = all.indexOf(NL, w.from)) {
      const line = all.subarray(w.from, nl).toString("utf8");
      w.from = nl + 1;
      w.fn(line);
    }
  }

  readUntil(marker: string): Promise<string> {
    if (this.waiting) return Promise.reject(new Error("readUntil is already waiting"));
    return new Promise((resolve, reject) => {
      this.waiting = { marker: Buffer.from(`${marker}\n`), from: 0, resolve, reject };
      this.lookForMarker(false);
      // Settles at once if the command exited before this call.
      this.settleAfterExit();
    });
  }

  write(stdin: string): void {
    if (this.ended) throw new Error("the command's stdin is already closed");
    this.io.stdin.write(Buffer.from(stdin, "utf8"));
  }

  end(stdin?: string): Promise<ExecResult> {
    return this.finish(stdin);
  }

  /** writes `stdin` (if any), closes it and waits for the exit: the whole of an `exec` */
  finish(stdin?: string): Promise<ExecResult> {
    if (!this.ended) {
      if (stdin !== undefined && stdin !== "") this.io.stdin.write(Buffer.from(stdin, "utf8"));
      this.io.stdin.end();
      this.ended = this.result.then((r) => {
        const problem = this.check(r);
        if (problem) throw problem;
        return r;
      });
    }
    return this.ended;
  }

  /** A marker counts on a line of its own; at the very end of the output it may lack its newline. */
  private lookForMarker(atEof: boolean): void {
    const w = this.waiting;
    if (!w) return;
    const all = this.out.view();
    const line = w.marker;
    const nlLine = Buffer.concat([NL, line]);
    let end = -1;
    if (this.consumed === 0 && all.subarray(0, line.length).equals(line)) end = line.length;
    else {
      // `consumed` sits just after a newline (or at 0), so searching from one byte before it also finds
      // a marker at the start of the unread part.
      const at = all.indexOf(nlLine, Math.max(w.from, this.consumed - 1, 0));
      if (at >= 0) end = at + nlLine.length;
      else w.from = Math.max(all.length - nlLine.length + 1, 0);
    }
    if (end < 0 && atEof) {
      const rest = all.subarray(this.consumed);
      const bare = line.subarray(0, -1);
      const nlBare = nlLine.subarray(0, -1);
      if (rest.equals(bare) || (rest.length > nlBare.length && rest.subarray(-nlBare.length).equals(nlBare))) end = all.length;
    }
    if (end < 0) return;
    const text = all.subarray(this.consumed, end).toString("utf8");
    this.consumed = end;
    this.waiting = undefined;
    w.resolve(text);
  }

  /** Once the command has exited, a read still waiting gets what is left of the output, or an error. */
  private settleAfterExit(): void {
    this.result.then(
      (r) => {
        this.lookForMarker(true);
        this.failWaiting(r);
      },
      (e: Error) => {
        const w = this.waiting;
        this.waiting = undefined;
        w?.reject(e);
      },
    );
  }

  private failWaiting(r: ExecResult): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    const marker = w.marker.toString("utf8").trimEnd();
    const stderr = r.stderr.trim().split("\n").slice(-12).join("\n");
    w.reject(this.check(r) ?? new Error(`the command exited (code ${r.code}) before printing ${marker}${stderr ? `:\n${stderr}` : ""}`));
  }
}
