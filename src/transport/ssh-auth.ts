// Which credentials to log in with. We never prompt: a key with a passphrase is an error up front,
// not a hang or a vague "authentication failed" later.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** One login attempt, in the shape of ssh2's `authHandler` list entries. */
export type AuthMethod =
  | { type: "publickey"; username: string; key: Buffer }
  | { type: "agent"; username: string; agent: string };

export interface AuthPlan {
  /**
   * ssh2 settings: `privateKey` for the inventory's key file (ssh2 then says why a key it cannot use is
   * unusable, instead of skipping it), else an `authHandler` list
   */
  config: { privateKey: string } | { authHandler: AuthMethod[] };
  /** what was tried, for the message when the host accepts none of it */
  tried: string;
}

/** An unusable key file or no credentials at all; the caller words it for the host. */
export class AuthSetupError extends Error {}

export const DEFAULT_KEY_FILES = ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(homedir(), ".ssh", f));

/** Whether a private key file needs a passphrase (OpenSSH's own format, or PEM). */
export function isEncryptedKey(text: string): boolean {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) {
    // "openssh-key-v1\0", then the cipher name as an SSH string: "none" when not encrypted.
    const blob = Buffer.from(openssh[1]!.replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0".length;
    if (blob.length < magic + 4) return false;
    const len = blob.readUInt32BE(magic);
    return blob.subarray(magic + 4, magic + 4 + len).toString("latin1") !== "none";
  }
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text);
}

function readKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new AuthSetupError(`cannot read private key file ${file}: ${why}`);
  }
}

/**
 * The inventory's key file alone when it names one; otherwise the SSH agent, then the default key files
 * that exist and need no passphrase (the way ssh(1) would try them).
 */
export function authPlan(user: string, keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): AuthPlan {
  if (keyFile !== undefined) {
    const key = readKey(keyFile);
    if (isEncryptedKey(key.toString("latin1"))) {
      throw new AuthSetupError(
        `private key file ${keyFile} is protected by a passphrase, and bgpmesh-provision does not prompt: ` +
          `use a key without one, or drop ansible_ssh_private_key_file and load the key into ssh-agent`,
      );
    }
    return { config: { privateKey: key.toString("utf8") }, tried: `key file ${keyFile}` };
  }
  const methods: AuthMethod[] = [];
  const tried: string[] = [];
  const agent = env.SSH_AUTH_SOCK;
  if (agent) {
    methods.push({ type: "agent", username: user, agent });
    tried.push("the SSH agent's keys");
  }
  for (const file of DEFAULT_KEY_FILES) {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch {
      continue;
    }
    // The agent may hold the decrypted copy; skipping is what ssh(1) does in batch mode.
    if (isEncryptedKey(key.toString("latin1"))) continue;
    methods.push({ type: "publickey", username: user, key });
    tried.push(file);
  }
  if (methods.length === 0) {
    throw new AuthSetupError(
      `no SSH key to log in with: set ansible_ssh_private_key_file, start ssh-agent (SSH_AUTH_SOCK), or create ${DEFAULT_KEY_FILES[0]} without a passphrase`,
    );
  }
  return { config: { authHandler: methods }, tried: tried.join(", ") };
}
