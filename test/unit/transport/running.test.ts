// RunningCommand over plain streams: what a channel or a child process looks like to it.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { RunningCommand } from "../../../src/transport/running.js";

function fake(check: (r: { code: number; stderr: string }) => Error | undefined = () => undefined) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let exit!: (code: number) => void;
  let lose!: (e: Error) => void;
  const exited = new Promise<number>((res, rej) => ((exit = res), (lose = rej)));
  const cmd = new RunningCommand({ stdin, stdout, stderr, exited }, check);
  const input: Buffer[] = [];
  stdin.on("data", (b: Buffer) => input.push(b));
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    cmd,
    input: () => Buffer.concat(input).toString("utf8"),
    async out(s: string | Buffer) {
      stdout.write(s);
      await tick();
    },
    async err(s: string) {
      stderr.write(s);
      await tick();
    },
    async exit(code: number) {
      stdout.end();
      stderr.end();
      await tick();
      exit(code);
    },
    lose,
  };
}

describe("RunningCommand", () => {
  it("reads up to a marker line, split across chunks, and keeps the rest for the result", async () => {
    const f = fake();
    const read = f.cmd.readUntil("@@end");
    await f.out("probe 1\n@@e");
    await f.out("nd-not\n@@");
    await f.out("end\nafter\n");
    await expect(read).resolves.toBe("probe 1\n@@end-not\n@@end\n");
    const ended = f.cmd.end();
    await f.exit(0);
    await expect(ended).resolves.toEqual({ code: 0, stdout: "probe 1\n@@end-not\n@@end\nafter\n", stderr: "" });
  });

  it("finds a marker printed before readUntil was called, at the very start, and reads on from there", async () => {
    const f = fake();
    await f.out("@@a\nx\n@@b\n");
    await expect(f.cmd.readUntil("@@a")).resolves.toBe("@@a\n");
    await expect(f.cmd.readUntil("@@b")).resolves.toBe("x\n@@b\n");
  });

  it("accepts a marker without its newline when the output ends there", async () => {
    const f = fake();
    const read = f.cmd.readUntil("@@end");
    await f.out("x\n@@end");
    await f.exit(0);
    await expect(read).resolves.toBe("x\n@@end");
  });

  it("rejects with the command's stderr when it exits before the marker", async () => {
    const f = fake();
    const read = f.cmd.readUntil("@@end");
    await f.out("partial\n");
    await f.err("flock: timed out\n");
    await f.exit(75);
    await expect(read).rejects.toThrow(/exited \(code 75\) before printing @@end:\nflock: timed out/);
    await expect(f.cmd.end()).resolves.toMatchObject({ code: 75 });
  });

  it("rejects with the check's error (sudo refusing) instead", async () => {
    const f = fake((r) => (r.code === 1 && r.stderr.startsWith("sudo:") ? new Error("sudo needs a password") : undefined));
    const read = f.cmd.readUntil("@@end");
    await f.err("sudo: a password is required\n");
    await f.exit(1);
    await expect(read).rejects.toThrow("sudo needs a password");
    await expect(f.cmd.end()).rejects.toThrow("sudo needs a password");
  });

  it("rejects a waiting read when the host goes away", async () => {
    const f = fake();
    const read = f.cmd.readUntil("@@end");
    f.lose(new Error("connection lost"));
    await expect(read).rejects.toThrow("connection lost");
  });

  it("sends stdin once and closes it; decodes multi-byte characters split between chunks", async () => {
    const f = fake();
    const done = f.cmd.finish("secret ✓\n");
    const bytes = Buffer.from("✓✓");
    await f.out(bytes.subarray(0, 2));
    await f.out(bytes.subarray(2));
    await f.exit(0);
    await expect(done).resolves.toEqual({ code: 0, stdout: "✓✓", stderr: "" });
    expect(f.input()).toBe("secret ✓\n");
    expect(f.cmd.end()).toBe(done);
  });

  it("hands each whole stdout line to a watcher as it arrives, from the moment it watches", async () => {
    const f = fake();
    await f.out("before\n");
    const lines: string[] = [];
    f.cmd.onLine((l) => lines.push(l));
    await f.out("@@run a0\n@@ok a");
    expect(lines).toEqual(["@@run a0"]);
    await f.out("0\n\u00e9t\u00e9\n");
    expect(lines).toEqual(["@@run a0", "@@ok a0", "\u00e9t\u00e9"]);
    await f.exit(0);
    expect((await f.cmd.end()).stdout).toBe("before\n@@run a0\n@@ok a0\n\u00e9t\u00e9\n");
  });
});

