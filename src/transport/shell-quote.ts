import { shellQuote } from "../util/shell.js";

export { shellQuote };

/**
 * The command line that runs `command` with `sh -c` as root for a login as `user`. `sudo -n` never
 * prompts: without passwordless sudo it fails at once, and `sudoProblem` turns that into a clear error.
 * The line itself is parsed by the login user's shell, hence the quoting even for root.
 */
export function asRoot(command: string, user: string): string {
  const sh = `sh -c ${shellQuote(command)}`;
  return user === "root" ? sh : `sudo -n -- ${sh}`;
}
