import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { inventoryCommand } from "../../../src/commands/inventory.js";

export const FIXTURES = "test/fixtures/vagrant";
/** `vagrant ssh-config` of three VirtualBox machines: SSH through port forwards on 127.0.0.1 */
export const VIRTUALBOX = `${FIXTURES}/virtualbox.ssh-config`;
/** the same for vagrant-libvirt: the machines' own addresses, port 22, two IdentityFiles (one quoted) */
export const LIBVIRT = `${FIXTURES}/libvirt.ssh-config`;

/** A new temp dir, removed after the test. */
export function tempDir(prefix = "bgpmesh-vagrant-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pinned key pair where vagrant/Vagrantfile keeps it, made by the real ssh-keygen; returns "type base64". */
export function pinKey(vagrantDir: string, name: string): { line: string; blob: Buffer } {
  mkdirSync(join(vagrantDir, ".hostkeys"), { recursive: true });
  const file = join(vagrantDir, ".hostkeys", `${name}_ed25519`);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  const [type, b64] = readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/);
  return { line: `${type} ${b64}`, blob: Buffer.from(b64!, "base64") };
}

/** Runs `bgpmesh-provision inventory ARGS` in-process and returns what it printed. */
export async function runInventory(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const cmd = inventoryCommand({ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  await cmd.parseAsync(args, { from: "user" });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}
