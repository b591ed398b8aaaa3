// Reading `vagrant ssh-config` output: the OpenSSH client config Vagrant prints, one Host block per
// machine. Only what says how to reach a machine is kept; the rest (Vagrant's StrictHostKeyChecking
// no, UserKnownHostsFile /dev/null, ...) is what this tool does differently on purpose.
import { NAME_PATTERN } from "../inventory/index.js";

export interface SshConfigHost {
  /** the Host name: Vagrant's machine name, and the inventory host name */
  name: string;
  /** line of the `Host` line, for messages */
  line: number;
  hostName: string;
  port: number;
  user: string;
  /** in the order given; Vagrant lists several when it has more than one key to try */
  identityFiles: string[];
}

/** A problem with Vagrant's output or the options: one line, already saying where and what. */
export class VagrantInputError extends Error {}

// ssh(1) cannot be followed through these by this tool; ignoring them would connect somewhere else.
const UNFOLLOWABLE = new Set(["proxycommand", "proxyjump", "match"]);

interface Block {
  name: string;
  line: number;
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
}

/** The value of a config line: a quoted value (a path with spaces) loses its quotes. */
function unquote(raw: string, fail: (problem: string) => never): string {
  if (!raw.startsWith('"')) return raw;
  if (raw.length < 2 || !raw.endsWith('"')) fail(`unterminated quote in ${raw}`);
  return raw.slice(1, -1);
}

/**
 * The Host blocks of `vagrant ssh-config` output. `source` names the text in messages
 * (`ssh-config.txt:7: ...`). Keywords are case-insensitive and may be followed by `=`, as ssh(1)
 * reads them; for a repeated keyword the first value counts, as in ssh(1), except IdentityFile.
 */
export function parseSshConfig(text: string, source: string): SshConfigHost[] {
  const blocks: Block[] = [];
  const seen = new Map<string, number>();
  let current: Block | undefined;

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const fail = (problem: string): never => {
      throw new VagrantInputError(`${source}:${line}: ${problem}`);
    };
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed);
    if (!m) fail(`cannot read '${trimmed}' (expected a keyword and its value)`);
    const keyword = m![1]!;
    const value = unquote(m![2]!.trim(), fail);
    const key = keyword.toLowerCase();
    if (value === "") fail(`${keyword} has no value`);
    if (UNFOLLOWABLE.has(key)) fail(`${keyword} is not supported: bgpmesh-provision connects to HostName:Port directly`);

    if (key === "host") {
      if (/\s/.test(value)) fail(`Host '${value}' names several hosts; Vagrant writes one per block`);
      if (!NAME_PATTERN.test(value)) fail(`Host '${value}' cannot be an inventory host name (letters, digits, '-', '_' and '.')`);
      const first = seen.get(value);
      if (first !== undefined) fail(`Host '${value}' appears twice (first at line ${first})`);
      seen.set(value, line);
      current = { name: value, line, identityFiles: [] };
      blocks.push(current);
      return;
    }
    if (!["hostname", "port", "user", "identityfile"].includes(key)) return;
    if (!current) fail(`${keyword} before any Host line`);
    const block = current!;
    if (key === "identityfile") {
      block.identityFiles.push(value);
      return;
    }
    if (/\s/.test(value)) fail(`${keyword} '${value}' has spaces in it`);
    if (key === "hostname") block.hostName ??= value;
    else if (key === "user") block.user ??= value;
    else {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 1 && port <= 65535)) fail(`Port '${value}' is not a port number (1 to 65535)`);
      block.port ??= port;
    }
  });

  if (blocks.length === 0) throw new VagrantInputError(`${source}: no Host blocks: is any machine up (\`vagrant status\`)?`);
  return blocks.map((b) => {
    const missing = b.hostName === undefined ? "HostName" : b.user === undefined ? "User" : undefined;
    if (missing) throw new VagrantInputError(`${source}:${b.line}: Host ${b.name} has no ${missing}`);
    return { name: b.name, line: b.line, hostName: b.hostName!, port: b.port ?? 22, user: b.user!, identityFiles: b.identityFiles };
  });
}
