import { describe, expect, it } from "vitest";
import { sudoProblem } from "../../../src/transport/sudo.js";

const r = (code: number, stderr: string) => ({ code, stdout: "", stderr });

describe("sudoProblem", () => {
  it("explains sudo asking for a password (also what a user outside sudoers gets with -n)", () => {
    const e = sudoProblem("node2", "alice", r(1, "sudo: a password is required\n"));
    expect(e?.message).toBe(
      "node2: sudo needs a password for user 'alice' — bgpmesh-provision runs 'sudo -n' and never types passwords: give alice NOPASSWD sudo, or connect as root",
    );
    expect(sudoProblem("node2", "alice", r(1, "sudo: a terminal is required to read the password; either use..."))?.message).toMatch(/needs a password/);
  });

  it("explains sudo refusing outright, and sudo missing", () => {
    expect(sudoProblem("n", "bob", r(1, "sudo: bob is not in the sudoers file.\n"))?.message).toBe(
      "n: sudo refused user 'bob' (bob is not in the sudoers file.) — give bob NOPASSWD sudo, or connect as root",
    );
    expect(sudoProblem("n", "bob", r(127, "bash: line 1: sudo: command not found\n"))?.message).toMatch(/^n: sudo is not installed/);
    expect(sudoProblem("n", "bob", r(127, "sh: 1: sudo: not found\n"))?.message).toMatch(/^n: sudo is not installed/);
  });

  it("leaves the command's own failures alone", () => {
    expect(sudoProblem("n", "bob", r(1, "grep: x: No such file\n"))).toBeUndefined();
    expect(sudoProblem("n", "bob", r(2, "sudo: a password is required\n"))).toBeUndefined();
    expect(sudoProblem("n", "bob", r(1, "first line\nsudo: a password is required\n"))).toBeUndefined();
    expect(sudoProblem("n", "bob", r(0, ""))).toBeUndefined();
  });
});
