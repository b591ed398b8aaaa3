// Choosing what to log in with, and the known_hosts file written for a newly accepted host.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostKeyCheck } from "../../../src/transport/host-key.js";
import { authPlan, isEncryptedKey } from "../../../src/transport/ssh-auth.js";

const dir = mkdtempSync(join(tmpdir(), "transport-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, args: string[]): string {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-C", "", "-f", file, ...args]);
  return file;
}

describe("private keys", () => {
  const plain = keygen("plain", ["-t", "ed25519", "-N", ""]);
  const secret = keygen("secret", ["-t", "ed25519", "-N", "pass phrase"]);
  const pemPlain = keygen("pem-plain", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""]);
  const pemSecret = keygen("pem-secret", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "pass phrase"]);

  it("tells keys with a passphrase from keys without, in both file formats", () => {
    expect(isEncryptedKey(readFileSync(plain, "utf8"))).toBe(false);
    expect(isEncryptedKey(readFileSync(secret, "utf8"))).toBe(true);
    expect(isEncryptedKey(readFileSync(pemPlain, "utf8"))).toBe(false);
    expect(isEncryptedKey(readFileSync(pemSecret, "utf8"))).toBe(true);
  });

  it("uses the inventory's key file alone, and says plainly why it cannot", () => {
    expect(authPlan("root", plain, {})).toMatchObject({ config: { privateKey: readFileSync(plain, "utf8") }, tried: `key file ${plain}` });
    expect(() => authPlan("root", secret, {})).toThrow(`private key file ${secret} is protected by a passphrase, and bgpmesh-provision does not prompt`);
    expect(() => authPlan("root", join(dir, "missing"), {})).toThrow(`cannot read private key file ${join(dir, "missing")}: no such file`);
  });

  it("falls back to the SSH agent when there is no key file", () => {
    const plan = authPlan("alice", undefined, { SSH_AUTH_SOCK: "/run/agent.sock" });
    expect(plan.config).toMatchObject({ authHandler: [{ type: "agent", username: "alice", agent: "/run/agent.sock" }] });
    expect(plan.tried).toMatch(/^the SSH agent's keys/);
  });
});

describe("accepting a new host key", () => {
  const key = Buffer.from(readFileSync(`${keygen("host", ["-t", "ed25519", "-N", ""])}.pub`, "utf8").split(" ")[1]!, "base64");
  const opts = { who: "node1 (10.0.0.1:2222)", name: "node1", address: "10.0.0.1", port: 2222 };

  it("refuses an unknown host unless told to accept it, then records it (0600, folder created)", () => {
    const file = join(dir, "new", "sub", "known_hosts");
    const strict = hostKeyCheck({ ...opts, file, acceptNew: false });
    expect(strict.algorithms).toBeUndefined();
    expect(strict.verify(key)).toBe(false);
    expect(strict.refusal?.message).toMatch(/^node1 \(10\.0\.0\.1:2222\): host key not known — .* has no line for 10\.0\.0\.1 or node1; the host offered ssh-ed25519 SHA256:\S+\. Check it, then run again with --accept-new-host-keys/);

    expect(hostKeyCheck({ ...opts, file, acceptNew: true }).verify(key)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(`[10.0.0.1]:2222 ssh-ed25519 ${key.toString("base64")}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = hostKeyCheck({ ...opts, file, acceptNew: false });
    expect(again.algorithms).toEqual(["ssh-ed25519"]);
    expect(again.verify(key)).toBe(true);
  });

  it("never accepts a changed key, even when accepting new ones", () => {
    const file = join(dir, "changed_hosts");
    const otherKey = readFileSync(`${keygen("other-host", ["-t", "ed25519", "-N", ""])}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(file, `# header\n[10.0.0.1]:2222 ${otherKey}\n`);
    const check = hostKeyCheck({ ...opts, file, acceptNew: true });
    expect(check.verify(key)).toBe(false);
    expect(check.refusal?.message).toMatch(
      /^node1 \(10\.0\.0\.1:2222\): HOST KEY CHANGED — known_hosts line 2 has ssh-ed25519 SHA256:\S+, the host offered SHA256:\S+; refusing to connect \(possible man-in-the-middle\)\. If the host was reinstalled, remove the old line/,
    );
    expect(readFileSync(file, "utf8").split("\n")).toHaveLength(3);
  });

  it("says so when known_hosts cannot be read", () => {
    // A folder where the file should be fails for root too.
    expect(() => hostKeyCheck({ ...opts, file: dir, acceptNew: false })).toThrow(`node1 (10.0.0.1:2222): cannot read known_hosts file ${dir}:`);
  });
});
