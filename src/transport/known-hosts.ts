// OpenSSH known_hosts files, read and matched the way ssh(1) does, without touching the network.
import { createHash, createHmac, randomBytes } from "node:crypto";

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages */
  line: number;
  marker?: "revoked" | "cert-authority";
  /** the host field as written: comma-separated patterns, or one `|1|salt|hash` */
  hosts: string;
  keyType: string;
  /** the key in SSH wire format (what the server sends during the handshake) */
  key: Buffer;
}

/** Entries of a known_hosts file; comments, blank lines and lines that do not parse are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]?.startsWith("#")) return;
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const m = fields.shift();
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else return;
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return;
    const key = Buffer.from(b64, "base64");
    // A key whose blob names another type is corrupt; ssh(1) ignores such lines too.
    if (key.toString("base64") !== b64 || keyTypeOf(key) !== keyType) return;
    entries.push({ line: i + 1, ...(marker && { marker }), hosts, keyType, key });
  });
  return entries;
}

/** The type name at the start of a key blob ("ssh-ed25519", "ssh-rsa", ...), or "" if malformed. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "";
  const len = key.readUInt32BE(0);
  return len > 0 && len < 64 && key.length >= 4 + len ? key.subarray(4, 4 + len).toString("latin1") : "";
}

/** The fingerprint as `ssh-keygen -l` and ssh(1) print it: SHA256, base64 without padding. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** How ssh(1) names a host in known_hosts: the bare name on port 22, `[name]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A hashed host field (`ssh-keygen -H`); `salt` is random unless given (20 bytes, as ssh uses). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac("sha1", salt).update(name.toLowerCase()).digest();
  return `|1|${salt.toString("base64")}|${mac.toString("base64")}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(name);
}

/** Whether an entry's host field covers `name` (already in `[host]:port` form when needed). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  const lower = name.toLowerCase();
  if (hosts.startsWith("|1|")) {
    const [, , salt, mac] = hosts.split("|");
    return salt !== undefined && mac !== undefined && hashHostName(lower, Buffer.from(salt, "base64")) === hosts;
  }
  let matched = false;
  for (const p of hosts.toLowerCase().split(",")) {
    // A negated pattern that matches excludes the host from the entry, whatever else matched.
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), lower)) return false;
    } else if (globMatch(p, lower)) matched = true;
  }
  return matched;
}

/** Entries for a host reached on `port` under any of `names` (e.g. its address and its inventory name). */
export function entriesFor(entries: KnownHostEntry[], names: string[], port: number): KnownHostEntry[] {
  const lookup = names.map((n) => knownHostName(n, port));
  return entries.filter((e) => lookup.some((n) => hostFieldMatches(e.hosts, n)));
}

export type HostKeyVerdict =
  | { kind: "ok"; entry: KnownHostEntry }
  | { kind: "unknown" }
  | { kind: "revoked"; entry: KnownHostEntry }
  /** `entry` is the known key shown to the user: one of the offered type when there is one */
  | { kind: "changed"; entry: KnownHostEntry };

/** What ssh(1) would conclude about `offered`, given the entries for the host (see `entriesFor`). */
export function checkHostKey(forHost: KnownHostEntry[], offered: Buffer): HostKeyVerdict {
  const revoked = forHost.find((e) => e.marker === "revoked" && e.key.equals(offered));
  if (revoked) return { kind: "revoked", entry: revoked };
  const known = forHost.filter((e) => e.marker === undefined);
  const same = known.find((e) => e.key.equals(offered));
  if (same) return { kind: "ok", entry: same };
  const shown = known.find((e) => e.keyType === keyTypeOf(offered)) ?? known[0];
  return shown ? { kind: "changed", entry: shown } : { kind: "unknown" };
}

// ssh2's names for the signature algorithms that prove a key of each known_hosts type, best first.
const ALGORITHMS: Record<string, string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * Host key algorithms to offer so the server presents a key we can check: only the types known for the
 * host (ssh(1) does the same). Empty when none of the known types is one we can use.
 */
export function hostKeyAlgorithms(forHost: KnownHostEntry[]): string[] {
  const types = new Set(forHost.filter((e) => e.marker === undefined).map((e) => e.keyType));
  return Object.entries(ALGORITHMS).flatMap(([type, algs]) => (types.has(type) ? algs : []));
}

/** The line to add for a newly accepted key. */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostName(host, port)} ${keyTypeOf(key)} ${key.toString("base64")}\n`;
}
