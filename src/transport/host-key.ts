// Host key checking for one connection: what to offer, whether to trust the key the host shows, and
// in plain words why not. Strict like ssh(1) with StrictHostKeyChecking=yes, or =accept-new when asked.
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { UnreachableError } from "./transport.js";
import {
  checkHostKey,
  entriesFor,
  fingerprint,
  hostKeyAlgorithms,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  parseKnownHosts,
  type KnownHostEntry,
} from "./known-hosts.js";

/** The host's key could not be trusted: unknown, changed, revoked, or the known_hosts file unreadable. */
export class HostKeyError extends UnreachableError {}

export interface HostKeyCheck {
  /** for ssh2's `algorithms.serverHostKey`; undefined: offer ssh2's defaults (host not known yet) */
  algorithms: string[] | undefined;
  /** ssh2's `hostVerifier`: true to go on */
  verify(key: Buffer): boolean;
  /** why `verify` refused, once it has */
  refusal: HostKeyError | undefined;
  /** the error for a handshake that found no host key type in common with the known ones */
  noCommonType(): HostKeyError;
}

export interface HostKeyOptions {
  /** prefix for messages: `node1 (10.213.1.11:22)` */
  who: string;
  name: string;
  address: string;
  port: number;
  file: string;
  acceptNew: boolean;
}

function readEntries(file: string, who: string): KnownHostEntry[] {
  try {
    return parseKnownHosts(readFileSync(file, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new HostKeyError(`${who}: cannot read known_hosts file ${file}: ${(e as Error).message}`);
  }
}

export function hostKeyCheck(o: HostKeyOptions): HostKeyCheck {
  const forHost = entriesFor(readEntries(o.file, o.who), [...new Set([o.address, o.name])], o.port);
  const algorithms = hostKeyAlgorithms(forHost);
  const known = forHost.filter((e) => e.marker === undefined);
  const names = o.address === o.name ? o.address : `${o.address} or ${o.name}`;
  const check: HostKeyCheck = {
    algorithms: known.length > 0 ? algorithms : undefined,
    refusal: undefined,
    verify(key) {
      const refuse = (msg: string) => {
        check.refusal = new HostKeyError(`${o.who}: ${msg}`);
        return false;
      };
      const offered = `${keyTypeOf(key)} ${fingerprint(key)}`;
      const v = checkHostKey(forHost, key);
      switch (v.kind) {
        case "ok":
          return true;
        case "revoked":
          return refuse(`the host offered ${offered}, which known_hosts line ${v.entry.line} (${o.file}) marks @revoked; refusing to connect`);
        case "changed": {
          const sameType = v.entry.keyType === keyTypeOf(key);
          return refuse(
            `HOST KEY CHANGED — known_hosts line ${v.entry.line} has ${v.entry.keyType} ${fingerprint(v.entry.key)}, ` +
              `the host offered ${sameType ? fingerprint(key) : offered}; refusing to connect (possible man-in-the-middle). ` +
              `If the host was reinstalled, remove the old line from ${o.file}.`,
          );
        }
        case "unknown":
          if (!o.acceptNew) {
            return refuse(
              `host key not known — ${o.file} has no line for ${names}; the host offered ${offered}. ` +
                `Check it, then run again with --accept-new-host-keys to record it`,
            );
          }
          try {
            mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
            // O_APPEND: parallel connections each add their own whole line.
            appendFileSync(o.file, knownHostsLine(o.address, o.port, key), { mode: 0o600 });
          } catch (e) {
            return refuse(`cannot record the new host key in ${o.file}: ${(e as Error).message}`);
          }
          // A re-key later in the session must find the key we just trusted.
          forHost.push({ line: 0, hosts: knownHostName(o.address, o.port), keyType: keyTypeOf(key), key });
          return true;
      }
    },
    noCommonType() {
      const types = [...new Set(known.map((e) => e.keyType))].join(", ");
      if (algorithms.length === 0) {
        return new HostKeyError(`${o.who}: known_hosts (${o.file}) holds only keys of types this tool cannot check (${types}) for ${names}`);
      }
      return new HostKeyError(
        `${o.who}: HOST KEY CHANGED — known_hosts (${o.file}) has ${types} keys for ${names}, and the host offers none of these types; ` +
          `refusing to connect (possible man-in-the-middle). If the host was reinstalled, remove the old lines.`,
      );
    },
  };
  return check;
}
