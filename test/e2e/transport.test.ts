// The transports against real hosts: real sshd, real sudo, real known_hosts, real flock.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionOf, loadInventory, resolveHostVars, varValues, type Connection } from "../../src/inventory/index.js";
import { localTransport } from "../../src/transport/local.js";
import { connectSsh, HostKeyError, SudoError } from "../../src/transport/ssh.js";
import { UnreachableError, type Transport } from "../../src/transport/transport.js";
import { run } from "../../src/util/exec.js";
import { cli, cliOk, labInfo, ssh, sshOk, type LabInfo } from "../helpers/cli.js";

const NAME = "e2e-transport";
let lab: LabInfo;
let node1: Connection;
let node2: Connection;
let tmp: string;
const opened: Transport[] = [];

async function connect(name: string, conn: Connection, opts: Parameters<typeof connectSsh>[2] = {}): Promise<Transport> {
  const t = await connectSsh(name, conn, opts);
  opened.push(t);
  return t;
}

/** What connecting threw, and how long it took. */
async function failure(p: Promise<Transport>): Promise<{ error: Error; ms: number }> {
  const t0 = Date.now();
  try {
    opened.push(await p);
  } catch (e) {
    return { error: e as Error, ms: Date.now() - t0 };
  }
  throw new Error("connected, but should not have");
}

beforeAll(async () => {
  await cli("lab", "down", "--name", NAME);
  await cliOk("lab", "up", "--name", NAME, "--hosts", "2");
  lab = await labInfo(NAME);
  const inv = await loadInventory(lab.inventoryFile);
  [node1, node2] = ["node1", "node2"].map((h) => connectionOf(resolveHostVars(inv, h))) as [Connection, Connection];
  expect(varValues(resolveHostVars(inv, "node1")).bgpmesh_known_hosts).toBe(lab.knownHostsFile);
  // A user that can log in but has no sudo rights at all.
  await sshOk(
    lab,
    "node1",
    "id nosudo >/dev/null 2>&1 || useradd -m -s /bin/bash nosudo; install -d -o nosudo -g nosudo -m 700 ~nosudo/.ssh; " +
      "install -o nosudo -g nosudo -m 600 /root/.ssh/authorized_keys ~nosudo/.ssh/authorized_keys",
  );
  tmp = mkdtempSync(join(tmpdir(), "e2e-transport-"));
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close().catch(() => undefined)));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await cli("lab", "down", "--name", NAME);
});

describe("ssh transport as root", () => {
  it("returns stdout, stderr and the exit code, with all commands on one connection", async () => {
    const t = await connect("node1", node1);
    expect(t.host).toBe("node1");
    expect(await t.exec("hostname; echo oops >&2; exit 3")).toEqual({ code: 3, stdout: "node1\n", stderr: "oops\n" });
    expect(await t.exec("id -u")).toEqual({ code: 0, stdout: "0\n", stderr: "" });
    expect((await t.exec("kill -TERM $$")).code).toBe(128 + 15);
    // The client's source port is the connection's: the same for every command.
    const a = await t.exec("echo $SSH_CLIENT");
    const b = await t.exec("echo $SSH_CLIENT");
    expect(a.stdout).toMatch(/^10\.213\.\d+\.1 \d+ 22\n$/);
    expect(b.stdout).toBe(a.stdout);
    // Commands run with sh, whatever root's login shell is.
    expect((await t.exec("readlink -f /proc/$$/exe")).stdout.trim()).toBe("/usr/bin/dash");
  });

  it("passes stdin to the command byte for byte", async () => {
    const t = await connect("node1", node1);
    const text = `line 'one'\n"two" with $HOME and \`backticks\`\n\ttab, ✓ unicodé\n\nno newline at the end`;
    expect(await t.exec("cat", text)).toEqual({ code: 0, stdout: text, stderr: "" });
    const big = Array.from({ length: 200 * 1024 / 64 }, (_, i) => `${String(i).padStart(8, "0")} ${"x".repeat(54)}\n`).join("");
    expect(big.length).toBe(200 * 1024);
    const sum = createHash("sha256").update(big).digest("hex");
    expect(await t.exec("f=$(mktemp); cat >$f; sha256sum <$f | cut -d' ' -f1; wc -c <$f; rm $f", big)).toEqual({ code: 0, stdout: `${sum}\n${big.length}\n`, stderr: "" });
    expect((await t.exec("cat", big)).stdout).toBe(big);
    // No stdin: the command sees end of input at once instead of waiting.
    expect(await t.exec("cat; echo done")).toEqual({ code: 0, stdout: "done\n", stderr: "" });
  });

  it("counts the commands it started", async () => {
    const t = await connect("node2", node2);
    expect(t.roundTrips).toBe(0);
    await t.exec("true");
    await t.exec("false");
    const s = await t.start("echo @@end; cat >/dev/null");
    await s.readUntil("@@end");
    await s.end();
    expect(t.roundTrips).toBe(3);
  });

  it("holds a lock for as long as a started session is open", async () => {
    const t = await connect("node2", node2);
    const lock = "/run/e2e-transport.lock";
    const s = await t.start(`flock -w 5 ${lock} sh -c 'echo probing; echo @@end; cat >/dev/null; echo released'`);
    expect(await s.readUntil("@@end")).toBe("probing\n@@end\n");
    // Checked from outside, over OpenSSH, and over the same connection.
    expect((await ssh(lab, "node2", `flock -n ${lock} true`)).code).toBe(1);
    expect((await t.exec(`flock -n ${lock} true`)).code).toBe(1);
    expect(await s.end()).toEqual({ code: 0, stdout: "probing\n@@end\nreleased\n", stderr: "" });
    expect((await ssh(lab, "node2", `flock -n ${lock} true`)).code).toBe(0);
  });

  it("rejects readUntil with the command's stderr when it exits before the marker", async () => {
    const t = await connect("node2", node2);
    const s = await t.start("echo partial; echo 'no lock for you' >&2; exit 75");
    await expect(s.readUntil("@@end")).rejects.toThrow(/exited \(code 75\) before printing @@end:\nno lock for you/);
    expect((await s.end()).code).toBe(75);
  });
});

describe("ssh transport through sudo", () => {
  it("runs commands as root for a user with passwordless sudo, stdin included", async () => {
    const t = await connect("node1", { ...node1, user: "debian" });
    expect(await t.exec("id -u; id -un")).toEqual({ code: 0, stdout: "0\nroot\n", stderr: "" });
    expect((await t.exec("cat", "it's \"quoted\" $x\n")).stdout).toBe("it's \"quoted\" $x\n");
    expect((await t.exec("exit 4")).code).toBe(4);
    const s = await t.start("id -u; echo @@end; cat >/dev/null");
    expect(await s.readUntil("@@end")).toBe("0\n@@end\n");
    expect((await s.end()).code).toBe(0);
  });

  it("says clearly when sudo would need a password, on exec and on start", async () => {
    const t = await connect("node1", { ...node1, user: "nosudo" });
    const message =
      "node1: sudo needs a password for user 'nosudo' — bgpmesh-provision runs 'sudo -n' and never types passwords: give nosudo NOPASSWD sudo, or connect as root";
    const e = await t.exec("id -u").catch((x: Error) => x);
    expect(e).toBeInstanceOf(SudoError);
    expect((e as Error).message).toBe(message);
    const s = await t.start("echo @@end; cat >/dev/null");
    await expect(s.readUntil("@@end")).rejects.toThrow(message);
    expect(t.roundTrips).toBe(2);
  });
});

describe("ssh host keys", () => {
  it("refuses a host missing from known_hosts, and records it when told to accept new keys", async () => {
    const file = join(tmp, "new", "known_hosts");
    writeFileSync(join(tmp, "empty"), "");
    const refused = await failure(connectSsh("node1", node1, { knownHostsFile: join(tmp, "empty") }));
    expect(refused.error).toBeInstanceOf(HostKeyError);
    expect(refused.error).toBeInstanceOf(UnreachableError);
    expect(refused.error.message).toMatch(
      new RegExp(`^node1 \\(${node1.host.replace(/\./g, "\\.")}:22\\): host key not known — .*the host offered ssh-ed25519 SHA256:\\S+\\. .*--accept-new-host-keys`),
    );

    const t = await connect("node1", node1, { knownHostsFile: file, acceptNewHostKeys: true });
    expect((await t.exec("hostname")).stdout).toBe("node1\n");
    const added = readFileSync(file, "utf8");
    const labKey = readFileSync(lab.knownHostsFile, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${node1.host},`) && l.includes(" ssh-ed25519 "))!
      .split(" ")
      .slice(1)
      .join(" ");
    expect(added).toBe(`${node1.host} ${labKey}\n`);

    const again = await connect("node1", node1, { knownHostsFile: file });
    expect((await again.exec("hostname")).stdout).toBe("node1\n");
    expect(readFileSync(file, "utf8")).toBe(added);
  });

  it("refuses a changed key, even when accepting new ones", async () => {
    // node2's keys, listed under node1's address and name.
    const swapped = readFileSync(lab.knownHostsFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith(`${node2.host},`))
      .map((l) => l.replace(`${node2.host},node2`, `${node1.host},node1`))
      .join("\n");
    const file = join(tmp, "swapped");
    writeFileSync(file, `${swapped}\n`);
    for (const acceptNewHostKeys of [false, true]) {
      const { error } = await failure(connectSsh("node1", node1, { knownHostsFile: file, acceptNewHostKeys }));
      expect(error).toBeInstanceOf(HostKeyError);
      expect(error.message).toMatch(
        /^node1 \(\S+:22\): HOST KEY CHANGED — known_hosts line 1 has ssh-ed25519 SHA256:\S+, the host offered SHA256:\S+; refusing to connect \(possible man-in-the-middle\)\. If the host was reinstalled, remove the old line/,
      );
    }
    expect(readFileSync(file, "utf8")).toBe(`${swapped}\n`);
  });
});

describe("ssh failures to reach a host", () => {
  it("gives up on an address where nothing answers within the timeout", async () => {
    const nobody = { ...node1, host: lab.subnet.replace(/\.0\/24$/, ".99") };
    const slow = await failure(connectSsh("node9", nobody, { connectTimeoutMs: 5000 }));
    expect(slow.error).toBeInstanceOf(UnreachableError);
    expect(slow.error.message).toMatch(new RegExp(`^node9 \\(${nobody.host.replace(/\./g, "\\.")}:22\\): (connection timed out after 5s|no route to host)`));
    expect(slow.ms).toBeLessThan(5500);
    const quick = await failure(connectSsh("node9", nobody, { connectTimeoutMs: 1000 }));
    expect(quick.error.message).toBe(`node9 (${nobody.host}:22): connection timed out after 1s`);
    expect(quick.ms).toBeLessThan(1500);
  });

  it("reports a connection lost under a running command as unreachable", async () => {
    const t = await connect("node2", node2);
    const clientPort = (await t.exec("echo $SSH_CLIENT")).stdout.split(" ")[1];
    const s = await t.start("echo @@ready; cat >/dev/null");
    await s.readUntil("@@ready");
    // Caught at once: the connection may close before the kill below returns, and a rejection
    // with no handler yet is an unhandled rejection (which fails the run).
    const waiting = s.readUntil("@@never").catch((e: Error) => e);
    // The sshd processes serving this one TCP connection, by pid, from another connection.
    await sshOk(lab, "node2", `kill $(ss -Htnp state established "( dport = :${clientPort} )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)`);
    const lost = await waiting;
    expect(lost).toBeInstanceOf(UnreachableError);
    expect((lost as Error).message).toMatch(/^node2 \(\S+:22\): connection (lost|closed)/);
    await expect(t.exec("true")).rejects.toBeInstanceOf(UnreachableError);
  });

  it("names a refused port and a key the host does not accept", async () => {
    const refused = await failure(connectSsh("node1", { ...node1, port: 2222 }));
    expect(refused.error).toBeInstanceOf(UnreachableError);
    expect(refused.error.message).toMatch(/^node1 \(\S+:2222\): connection refused/);

    const key = join(tmp, "stranger");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const denied = await failure(connectSsh("node1", { ...node1, privateKeyFile: key }));
    expect(denied.error).toBeInstanceOf(UnreachableError);
    expect(denied.error.message).toBe(`node1 (${node1.host}:22): login as 'root' refused: the host accepted none of the keys offered (key file ${key})`);
  });
});

describe("local transport", () => {
  it("runs commands with sh on this machine, passing stdin, and holds sessions", async () => {
    const t = localTransport("controller");
    expect(t.host).toBe("controller");
    expect(await t.exec("id -u; echo e >&2; exit 2")).toEqual({ code: 2, stdout: "0\n", stderr: "e\n" });
    const text = "a 'b' \"c\" $d `e`\n".repeat(20_000);
    expect((await t.exec("cat", text)).stdout).toBe(text);
    const lock = join(tmp, "local.lock");
    const s = await t.start(`flock ${lock} sh -c 'echo @@end; cat >/dev/null'`);
    expect(await s.readUntil("@@end")).toBe("@@end\n");
    expect((await t.exec(`flock -n ${lock} true`)).code).toBe(1);
    expect((await s.end()).code).toBe(0);
    expect((await t.exec(`flock -n ${lock} true`)).code).toBe(0);
    expect(t.roundTrips).toBe(5);
    await t.close();
  });
});
