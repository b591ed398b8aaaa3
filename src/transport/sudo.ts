// Telling "sudo refused" apart from "the command failed", from the result alone: no extra round trip
// (`sudo -n true` first would cost one per host, and the benchmark counts them).
import type { ExecResult } from "./transport.js";

/** sudo would not run the command as root for the login user. */
export class SudoError extends Error {}

// sudo exits 1 and says why on stderr, before the command had any chance to print. These are the
// English messages: the remote locale is the login's, and sudo's own messages are rarely translated.
const NEEDS_PASSWORD = /^sudo: (a password is required|a terminal is required|sorry, you must have a tty)/;
const REFUSED = /^sudo: .*(not in the sudoers|not allowed to (run|execute)|is not allowed|unknown user|account validation failure)/;
const MISSING = /(^|: )sudo: (command )?not found/;

/**
 * The clear error for a command that sudo refused, or undefined if sudo ran it (whatever it returned).
 * Only meaningful for a command run through `sudo -n` (see `asRoot`).
 */
export function sudoProblem(host: string, user: string, r: ExecResult): SudoError | undefined {
  const first = r.stderr.split("\n", 1)[0] ?? "";
  const fix = `give ${user} NOPASSWD sudo, or connect as root`;
  if (r.code === 1 && NEEDS_PASSWORD.test(first)) {
    return new SudoError(`${host}: sudo needs a password for user '${user}' — bgpmesh-provision runs 'sudo -n' and never types passwords: ${fix}`);
  }
  if (r.code === 1 && REFUSED.test(first)) {
    return new SudoError(`${host}: sudo refused user '${user}' (${first.replace(/^sudo: /, "")}) — ${fix}`);
  }
  if (r.code === 127 && MISSING.test(first)) {
    return new SudoError(`${host}: sudo is not installed, and user '${user}' is not root — install sudo and ${fix}`);
  }
  return undefined;
}
