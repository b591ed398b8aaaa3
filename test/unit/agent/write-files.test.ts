import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { desiredState } from "../../../src/agent/desired-files.js";
import { agentPaths, isAgentOwned } from "../../../src/agent/paths.js";
import { writeChanged, type WriteOptions } from "../../../src/agent/write-files.js";
import { config, peerMap, record } from "./helpers.js";

const cfg = config();
const paths = agentPaths(cfg);
const HOSTS = "/etc/tinc/bgpmesh/hosts";
const PEERS_D = "/etc/bird/peers.d";

let root: string;
const disk = (path: string) => join(root, path);
const read = (path: string) => readFileSync(disk(path), "utf8");
const mtime = (path: string) => statSync(disk(path)).mtimeMs;
const opts = (): WriteOptions => ({ root, owned: (p) => isAgentOwned(paths, p), removeStale: [paths.hostsDir, paths.birdPeersDir] });

/** Sets a file's mtime an hour back, so a rewrite (even in the same millisecond) would show. */
function age(path: string): number {
  const past = new Date(Date.now() - 3600_000);
  utimesSync(disk(path), past, past);
  return mtime(path);
}

/** The layout the provisioner leaves: hosts/<self>, the seeded tinc.conf, 00-bgpmesh.conf. */
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "bgpmesh-agent-"));
  mkdirSync(disk(HOSTS), { recursive: true });
  mkdirSync(disk(PEERS_D), { recursive: true });
  writeFileSync(disk(`${HOSTS}/node1`), "Address = 192.0.2.1\nPort = 655\nPublicKeyFile = /etc/tinc/bgpmesh/rsa_key.pub\n");
  writeFileSync(disk("/etc/tinc/bgpmesh/tinc.conf"), "Name = node1\nMode = switch\n");
  writeFileSync(disk(`${PEERS_D}/00-bgpmesh.conf`), "# provisioner\n");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("writing", () => {
  it("writes new and changed files, then nothing when nothing changed", () => {
    const files = desiredState(cfg, peerMap([record("node2", 2), record("node3", 3)])).files;
    const first = writeChanged(files, opts());
    expect(first).toEqual({
      changed: [`${HOSTS}/node2`, `${HOSTS}/node3`, "/etc/tinc/bgpmesh/tinc.conf", `${PEERS_D}/peers.conf`],
      removed: [],
      cleaned: [],
      fixed: [],
      failed: [],
    });
    for (const [path, content] of files) expect(read(path)).toBe(content);
    expect(writeChanged(files, opts())).toEqual({ changed: [], removed: [], cleaned: [], fixed: [], failed: [] });
  });

  it("keeps the mtime of every file whose bytes did not change", () => {
    const before = desiredState(cfg, peerMap([record("node2", 2), record("node3", 3)])).files;
    writeChanged(before, opts());
    const t2 = age(`${HOSTS}/node2`);
    const t3 = age(`${HOSTS}/node3`);
    const tConf = age("/etc/tinc/bgpmesh/tinc.conf");

    // node4 joins: its host file is new, tinc.conf and peers.conf change, node2 and node3 do not.
    const after = desiredState(cfg, peerMap([record("node2", 2), record("node3", 3), record("node4", 4)])).files;
    const result = writeChanged(after, opts());
    expect(result.changed).toEqual([`${HOSTS}/node4`, "/etc/tinc/bgpmesh/tinc.conf", `${PEERS_D}/peers.conf`]);
    expect(mtime(`${HOSTS}/node2`)).toBe(t2);
    expect(mtime(`${HOSTS}/node3`)).toBe(t3);
    expect(mtime("/etc/tinc/bgpmesh/tinc.conf")).not.toBe(tConf);
  });

  it("replaces a file whole, through a temp file that is gone afterwards", () => {
    writeFileSync(disk(`${HOSTS}/node2`), "old and longer content than the new one\n".repeat(100));
    writeChanged(new Map([[`${HOSTS}/node2`, "new\n"]]), opts());
    expect(read(`${HOSTS}/node2`)).toBe("new\n");
    expect(readdirSync(disk(HOSTS)).sort()).toEqual(["node1", "node2"]);
  });

  it("gives a new file mode 0644, and an existing one keeps its mode", () => {
    writeFileSync(disk(`${PEERS_D}/peers.conf`), "old\n", { mode: 0o640 });
    writeChanged(new Map([[`${HOSTS}/node2`, "x\n"], [`${PEERS_D}/peers.conf`, "new\n"]]), opts());
    expect(statSync(disk(`${HOSTS}/node2`)).mode & 0o777).toBe(0o644);
    expect(statSync(disk(`${PEERS_D}/peers.conf`)).mode & 0o777).toBe(0o640);
  });

  it("refuses to write a file it does not own, and an unclean path, but writes the rest", () => {
    const self = read(`${HOSTS}/node1`);
    const result = writeChanged(
      new Map([
        [`${HOSTS}/node1`, "Address = evil\n"],
        [`${PEERS_D}/00-bgpmesh.conf`, "evil\n"],
        [`${HOSTS}/../../../passwd`, "evil\n"],
        [`${HOSTS}/node2`, "ok\n"],
      ]),
      opts(),
    );
    expect(result.changed).toEqual([`${HOSTS}/node2`]);
    expect(result.failed).toEqual([
      { path: `${HOSTS}/node1`, error: "not a file the agent owns" },
      { path: `${PEERS_D}/00-bgpmesh.conf`, error: "not a file the agent owns" },
      { path: `${HOSTS}/../../../passwd`, error: "not a normalised absolute path" },
    ]);
    expect(read(`${HOSTS}/node1`)).toBe(self);
    expect(read(`${PEERS_D}/00-bgpmesh.conf`)).toBe("# provisioner\n");
    expect(existsSync(disk("/etc/passwd"))).toBe(false);
  });

  it("reports a file it cannot write and goes on with the others", () => {
    rmSync(disk(PEERS_D), { recursive: true });
    const result = writeChanged(new Map([[`${PEERS_D}/peers.conf`, "x\n"], [`${HOSTS}/node2`, "y\n"]]), opts());
    expect(result.changed).toEqual([`${HOSTS}/node2`]);
    expect(result.failed).toEqual([{ path: `${PEERS_D}/peers.conf`, error: "ENOENT: open" }]);
  });
});

describe("removing", () => {
  it("removes the host files of peers no longer wanted, never hosts/<self> or files it does not own", () => {
    writeChanged(desiredState(cfg, peerMap([record("node2", 2), record("node3", 3)])).files, opts());
    writeFileSync(disk(`${HOSTS}/notes.txt`), "an admin's file: not a tinc name\n");
    mkdirSync(disk(`${HOSTS}/subdir`));
    symlinkSync("/dev/null", disk(`${HOSTS}/linked`));
    writeFileSync(disk(`${PEERS_D}/admin.conf`), "# an admin's BIRD file\n");
    const t2 = age(`${HOSTS}/node2`);

    const result = writeChanged(desiredState(cfg, peerMap([record("node2", 2)])).files, opts());
    expect(result.removed).toEqual([`${HOSTS}/node3`]);
    expect(readdirSync(disk(HOSTS)).sort()).toEqual(["linked", "node1", "node2", "notes.txt", "subdir"]);
    expect(readdirSync(disk(PEERS_D)).sort()).toEqual(["00-bgpmesh.conf", "admin.conf", "peers.conf"]);
    expect(mtime(`${HOSTS}/node2`)).toBe(t2);
  });

  it("keeps a retained host file until it leaves the desired files", () => {
    writeChanged(desiredState(cfg, peerMap([record("node2", 2), record("node3", 3)])).files, opts());
    const t3 = age(`${HOSTS}/node3`);
    const retained = writeChanged(desiredState(cfg, peerMap([record("node2", 2)]), peerMap([record("node3", 3)])).files, opts());
    expect(retained.removed).toEqual([]);
    expect(retained.changed).toEqual(["/etc/tinc/bgpmesh/tinc.conf", `${PEERS_D}/peers.conf`]);
    expect(mtime(`${HOSTS}/node3`)).toBe(t3);
    const expired = writeChanged(desiredState(cfg, peerMap([record("node2", 2)])).files, opts());
    expect(expired).toEqual({ changed: [], removed: [`${HOSTS}/node3`], cleaned: [], fixed: [], failed: [] });
  });

  it("cleans up the temp files of an interrupted write, only for files it owns", () => {
    writeFileSync(disk(`${HOSTS}/.node2.bgpmesh-tmp-123-abcd`), "half");
    writeFileSync(disk(`${PEERS_D}/.peers.conf.bgpmesh-tmp-9-ff`), "half");
    writeFileSync(disk(`${PEERS_D}/.00-bgpmesh.conf.bgpmesh-tmp-9-ff`), "not ours");
    const result = writeChanged(new Map(), opts());
    expect(result.cleaned).toEqual([`${HOSTS}/.node2.bgpmesh-tmp-123-abcd`, `${PEERS_D}/.peers.conf.bgpmesh-tmp-9-ff`]);
    expect(existsSync(disk(`${PEERS_D}/.00-bgpmesh.conf.bgpmesh-tmp-9-ff`))).toBe(true);
  });

  it("skips a directory that does not exist", () => {
    expect(writeChanged(new Map(), { ...opts(), removeStale: ["/nonexistent/dir"] })).toEqual({ changed: [], removed: [], cleaned: [], fixed: [], failed: [] });
  });
});

describe("ownership", () => {
  it("is tinc.conf, other nodes' host files and peers.conf, nothing else", () => {
    const owned = (p: string) => isAgentOwned(paths, p);
    expect(owned("/etc/tinc/bgpmesh/tinc.conf")).toBe(true);
    expect(owned(`${HOSTS}/node2`)).toBe(true);
    expect(owned(`${PEERS_D}/peers.conf`)).toBe(true);
    for (const p of [`${HOSTS}/node1`, `${PEERS_D}/00-bgpmesh.conf`, `${PEERS_D}/node2.conf`, `${HOSTS}/a.b`, "/etc/tinc/bgpmesh/rsa_key.priv", "/etc/tinc/bgpmesh/tinc-up", "/etc/bird/bird.conf", `${HOSTS}/sub/node2`]) {
      expect(owned(p)).toBe(false);
    }
  });
});

describe("a file with an enforced mode (peers.conf: it may hold the BGP password)", () => {
  const PEERS = `${PEERS_D}/peers.conf`;
  const enforced = (): WriteOptions => ({ ...opts(), enforcedMode: (p) => (p === PEERS ? 0o640 : undefined) });
  const mode = (path: string) => statSync(disk(path)).mode & 0o7777;
  const asRoot = process.getuid?.() === 0;

  it("is created 0640 and rewritten 0640, whatever mode the old file had", () => {
    writeChanged(new Map([[PEERS, "one\n"], [`${HOSTS}/node2`, "x\n"]]), enforced());
    expect(mode(PEERS)).toBe(0o640);
    expect(mode(`${HOSTS}/node2`)).toBe(0o644);
    chmodSync(disk(PEERS), 0o644);
    writeChanged(new Map([[PEERS, "two\n"]]), enforced());
    expect(mode(PEERS)).toBe(0o640);
  });

  it("gets its mode back in place when only the mode is wrong: same bytes, same mtime, no change to reload", () => {
    writeChanged(new Map([[PEERS, "same\n"]]), enforced());
    chmodSync(disk(PEERS), 0o644);
    const t = age(PEERS);
    const result = writeChanged(new Map([[PEERS, "same\n"]]), enforced());
    expect(result.changed).toEqual([]);
    expect(result.fixed).toEqual([PEERS]);
    expect(mode(PEERS)).toBe(0o640);
    expect(mtime(PEERS)).toBe(t);
    expect(writeChanged(new Map([[PEERS, "same\n"]]), enforced()).fixed).toEqual([]);
  });

  it.skipIf(!asRoot)("takes the owner and group of its directory (bird:bird for /etc/bird/peers.d), also in place", () => {
    chownSync(disk(PEERS_D), 4242, 4343);
    writeChanged(new Map([[PEERS, "x\n"]]), enforced());
    expect(statSync(disk(PEERS))).toMatchObject({ uid: 4242, gid: 4343 });
    chownSync(disk(PEERS), 0, 0);
    expect(writeChanged(new Map([[PEERS, "x\n"]]), enforced()).fixed).toEqual([PEERS]);
    expect(statSync(disk(PEERS))).toMatchObject({ uid: 4242, gid: 4343 });
  });

  it("replaces a symlink in its place without touching what it points to", () => {
    const target = disk("/etc/target");
    writeFileSync(target, "x\n", { mode: 0o604 });
    chmodSync(target, 0o604);
    symlinkSync(target, disk(PEERS));
    const result = writeChanged(new Map([[PEERS, "x\n"]]), enforced());
    expect(result.changed).toEqual([PEERS]);
    expect(lstatSync(disk(PEERS)).isFile()).toBe(true);
    expect(mode(PEERS)).toBe(0o640);
    expect(statSync(target).mode & 0o7777).toBe(0o604);
  });
});
