// known_hosts reading and matching, checked against OpenSSH's own ssh-keygen where it has an opinion.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkHostKey,
  entriesFor,
  fingerprint,
  hashHostName,
  hostFieldMatches,
  hostKeyAlgorithms,
  keyTypeOf,
  knownHostsLine,
  parseKnownHosts,
} from "../../../src/transport/known-hosts.js";

const dir = mkdtempSync(join(tmpdir(), "known-hosts-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh public key from ssh-keygen: "type base64". */
function newKey(type: "ed25519" | "ecdsa" | "rsa", name: string): { line: string; blob: Buffer; file: string } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", "", "-C", "", "-f", file]);
  const [t, b64] = readFileSync(`${file}.pub`, "utf8").trim().split(" ");
  return { line: `${t} ${b64}`, blob: Buffer.from(b64!, "base64"), file: `${file}.pub` };
}

const ed = newKey("ed25519", "ed");
const ec = newKey("ecdsa", "ec");
const rsa = newKey("rsa", "rsa");
const other = newKey("ed25519", "other");

describe("parseKnownHosts", () => {
  it("reads entries with their line numbers, skipping comments, blank and broken lines", () => {
    const text = [
      "# comment",
      "",
      `10.0.0.1,node1 ${ed.line}`,
      `   node2 ${ec.line} a comment here`,
      "node3 ssh-ed25519 not-base64!",
      `node4 ssh-rsa ${ed.line.split(" ")[1]}`, // blob says ed25519: corrupt
      `@revoked * ${other.line}`,
      `@cert-authority *.example.org ${rsa.line}`,
      `@unknown-marker node5 ${ed.line}`,
    ].join("\n");
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [3, undefined, "10.0.0.1,node1", "ssh-ed25519"],
      [4, undefined, "node2", "ecdsa-sha2-nistp256"],
      [7, "revoked", "*", "ssh-ed25519"],
      [8, "cert-authority", "*.example.org", "ssh-rsa"],
    ]);
    expect(entries[0]!.key.equals(ed.blob)).toBe(true);
  });

  it("knows the key type from the key itself", () => {
    expect(keyTypeOf(ed.blob)).toBe("ssh-ed25519");
    expect(keyTypeOf(ec.blob)).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOf(rsa.blob)).toBe("ssh-rsa");
    expect(keyTypeOf(Buffer.from("xx"))).toBe("");
  });
});

describe("fingerprint", () => {
  it("prints SHA256 fingerprints exactly as ssh-keygen -l does", () => {
    for (const k of [ed, ec, rsa]) {
      const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", k.file], { encoding: "utf8" }).split(" ")[1];
      expect(fingerprint(k.blob)).toBe(printed);
      expect(fingerprint(k.blob)).not.toContain("=");
    }
  });
});

describe("host matching", () => {
  it("matches any of several comma-separated patterns, case-insensitively, with * and ? and !negation", () => {
    expect(hostFieldMatches("10.0.0.1,node1", "node1")).toBe(true);
    expect(hostFieldMatches("10.0.0.1,node1", "10.0.0.1")).toBe(true);
    expect(hostFieldMatches("10.0.0.1,node1", "10.0.0.11")).toBe(false);
    expect(hostFieldMatches("Node1", "node1")).toBe(true);
    expect(hostFieldMatches("*.example.org", "a.example.org")).toBe(true);
    expect(hostFieldMatches("*.example.org", "example.org")).toBe(false);
    expect(hostFieldMatches("10.0.0.?", "10.0.0.7")).toBe(true);
    expect(hostFieldMatches("10.0.0.*,!10.0.0.7", "10.0.0.7")).toBe(false);
    expect(hostFieldMatches("10.0.0.*,!10.0.0.7", "10.0.0.8")).toBe(true);
    expect(hostFieldMatches("a.b", "aXb")).toBe(false);
  });

  it("needs the [host]:port form for a port other than 22, and the bare name for 22", () => {
    const entries = parseKnownHosts(`[10.0.0.1]:2222 ${ed.line}\n10.0.0.2 ${ec.line}\n`);
    expect(entriesFor(entries, ["10.0.0.1"], 2222).map((e) => e.line)).toEqual([1]);
    expect(entriesFor(entries, ["10.0.0.1"], 22)).toEqual([]);
    expect(entriesFor(entries, ["10.0.0.2"], 22).map((e) => e.line)).toEqual([2]);
    expect(entriesFor(entries, ["10.0.0.2"], 2222)).toEqual([]);
  });

  it("finds a host by its address or by its inventory name", () => {
    const entries = parseKnownHosts(`node1 ${ed.line}\n10.0.0.9 ${ec.line}\n`);
    expect(entriesFor(entries, ["10.0.0.1", "node1"], 22).map((e) => e.line)).toEqual([1]);
    expect(entriesFor(entries, ["10.0.0.9", "node9"], 22).map((e) => e.line)).toEqual([2]);
    expect(entriesFor(entries, ["10.0.0.5", "node5"], 22)).toEqual([]);
  });

  it("matches hashed names written by ssh-keygen -H, and ssh-keygen -F finds the ones we hash", () => {
    const file = join(dir, "hashed_hosts");
    writeFileSync(file, `10.0.0.1 ${ed.line}\n[10.0.0.2]:2222 ${ec.line}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const entries = parseKnownHosts(readFileSync(file, "utf8"));
    expect(entries.every((e) => e.hosts.startsWith("|1|"))).toBe(true);
    expect(entriesFor(entries, ["10.0.0.1"], 22).map((e) => e.keyType)).toEqual(["ssh-ed25519"]);
    expect(entriesFor(entries, ["10.0.0.2"], 2222).map((e) => e.keyType)).toEqual(["ecdsa-sha2-nistp256"]);
    expect(entriesFor(entries, ["10.0.0.3", "10.0.0.2"], 22)).toEqual([]);

    const ours = join(dir, "our_hashes");
    writeFileSync(ours, `${hashHostName("node7")} ${rsa.line}\n`);
    const found = execFileSync("ssh-keygen", ["-F", "node7", "-f", ours], { encoding: "utf8" });
    expect(found).toContain(rsa.line);
    expect(() => execFileSync("ssh-keygen", ["-F", "node8", "-f", ours], { stdio: "ignore" })).toThrow();
  });
});

describe("IPv6 hosts, in OpenSSH's form", () => {
  it("bare address on port 22, [address]:port otherwise, as ssh-keygen -F looks them up", () => {
    const file = join(dir, "v6_hosts");
    const text = knownHostsLine("2001:db8::5", 22, ed.blob) + knownHostsLine("2001:db8::6", 2222, ec.blob);
    expect(text).toBe(`2001:db8::5 ${ed.line}
[2001:db8::6]:2222 ${ec.line}
`);
    writeFileSync(file, text);
    expect(execFileSync("ssh-keygen", ["-F", "2001:db8::5", "-f", file], { encoding: "utf8" })).toContain(ed.line);
    expect(execFileSync("ssh-keygen", ["-F", "[2001:db8::6]:2222", "-f", file], { encoding: "utf8" })).toContain(ec.line);
    const entries = parseKnownHosts(text);
    expect(entriesFor(entries, ["2001:db8::5", "node5"], 22).map((e) => e.line)).toEqual([1]);
    expect(entriesFor(entries, ["2001:db8::5"], 2222)).toEqual([]);
    expect(entriesFor(entries, ["2001:db8::6"], 2222).map((e) => e.line)).toEqual([2]);
    expect(checkHostKey(entriesFor(entries, ["2001:db8::6"], 2222), ec.blob).kind).toBe("ok");
    expect(checkHostKey(entriesFor(entries, ["2001:db8::5"], 22), other.blob).kind).toBe("changed");
  });

  it("matches IPv6 lines hashed by ssh-keygen -H", () => {
    const file = join(dir, "v6_hashed");
    writeFileSync(file, `fd00:bd13:1::11 ${ed.line}
[fd00:bd13:1::12]:2222 ${ec.line}
`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const entries = parseKnownHosts(readFileSync(file, "utf8"));
    expect(entries.every((e) => e.hosts.startsWith("|1|"))).toBe(true);
    expect(entriesFor(entries, ["fd00:bd13:1::11"], 22).map((e) => e.keyType)).toEqual(["ssh-ed25519"]);
    expect(entriesFor(entries, ["fd00:bd13:1::12"], 2222).map((e) => e.keyType)).toEqual(["ecdsa-sha2-nistp256"]);
  });
});

describe("checkHostKey", () => {
  const text = [`10.0.0.1,node1 ${ed.line}`, `10.0.0.1,node1 ${rsa.line}`, `@revoked * ${other.line}`].join("\n");
  const forHost = entriesFor(parseKnownHosts(text), ["10.0.0.1", "node1"], 22);

  it("accepts any known key of the host", () => {
    expect(checkHostKey(forHost, ed.blob)).toMatchObject({ kind: "ok", entry: { line: 1 } });
    expect(checkHostKey(forHost, rsa.blob)).toMatchObject({ kind: "ok", entry: { line: 2 } });
  });

  it("calls a different key a change, showing the known key of the same type", () => {
    const changed = entriesFor(parseKnownHosts(`x ${ec.line}\n10.0.0.1 ${other.line}\n`), ["10.0.0.1"], 22);
    expect(checkHostKey(forHost, newKey("ed25519", "third").blob)).toMatchObject({ kind: "changed", entry: { line: 1 } });
    expect(checkHostKey(changed, ed.blob)).toMatchObject({ kind: "changed", entry: { line: 2 } });
  });

  it("refuses a revoked key even when it is also listed as known", () => {
    const both = entriesFor(parseKnownHosts(`node1 ${other.line}\n@revoked node1 ${other.line}\n`), ["node1"], 22);
    expect(checkHostKey(both, other.blob)).toMatchObject({ kind: "revoked", entry: { line: 2 } });
    expect(checkHostKey(forHost, other.blob)).toMatchObject({ kind: "revoked", entry: { line: 3 } });
  });

  it("knows nothing about a host without plain entries (cert-authority lines do not count)", () => {
    const ca = entriesFor(parseKnownHosts(`@cert-authority * ${ed.line}\n`), ["node1"], 22);
    expect(checkHostKey(ca, ed.blob)).toEqual({ kind: "unknown" });
    expect(checkHostKey([], ed.blob)).toEqual({ kind: "unknown" });
  });

  it("offers only the host key algorithms of the types known for the host", () => {
    expect(hostKeyAlgorithms(forHost)).toEqual(["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(hostKeyAlgorithms(entriesFor(parseKnownHosts(`n ${ec.line}\n`), ["n"], 22))).toEqual(["ecdsa-sha2-nistp256"]);
    expect(hostKeyAlgorithms([])).toEqual([]);
  });

  it("writes new lines that read back as the same key, with [host]:port off port 22", () => {
    expect(knownHostsLine("10.0.0.1", 22, ed.blob)).toBe(`10.0.0.1 ${ed.line}\n`);
    const line = knownHostsLine("10.0.0.1", 2222, ec.blob);
    expect(line).toBe(`[10.0.0.1]:2222 ${ec.line}\n`);
    expect(checkHostKey(entriesFor(parseKnownHosts(line), ["10.0.0.1"], 2222), ec.blob).kind).toBe("ok");
  });
});
