import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostKeyCheck } from "../../../src/transport/host-key.js";
import { mergeKnownHosts } from "../../../src/vagrant/known-hosts.js";

const dir = mkdtempSync(join(tmpdir(), "vagrant-kh6-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function newKey(name: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), "utf8").trim().split(" ").slice(0, 2).join(" ");
}

describe("pinned keys of machines reached over IPv6", () => {
  it("writes OpenSSH's forms (bare on 22, [address]:port otherwise), replaces old lines, and the checker accepts the pinned key", () => {
    const [k1, k2, old] = [newKey("k1"), newKey("k2"), newKey("old")];
    const existing = `# mine\n2001:db8::11 ${old}\n[2001:db8::12]:2222 ${old}\nother.example ${old}\n`;
    const merged = mergeKnownHosts(existing, [
      { name: "node1", address: "2001:db8::11", port: 22, key: k1 },
      { name: "node2", address: "2001:db8::12", port: 2222, key: k2 },
    ]);
    expect(merged).toBe(`# mine\nother.example ${old}\n2001:db8::11 ${k1}\n[2001:db8::12]:2222 ${k2}\n`);
    const file = join(dir, "known_hosts");
    writeFileSync(file, merged);
    const check = (name: string, address: string, port: number) => hostKeyCheck({ who: name, name, address, port, file, acceptNew: false });
    const blob = (k: string) => Buffer.from(k.split(" ")[1]!, "base64");
    expect(check("node1", "2001:db8::11", 22).verify(blob(k1))).toBe(true);
    expect(check("node2", "2001:db8::12", 2222).verify(blob(k2))).toBe(true);
    const refused = check("node2", "2001:db8::12", 2222);
    expect(refused.verify(blob(old))).toBe(false);
    expect(refused.refusal?.message).toMatch(/HOST KEY CHANGED|refusing to connect/);
  });
});
