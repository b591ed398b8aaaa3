// A peer that rotates its certificate puts its record again, unchanged, under a new lease. On the
// other nodes that must change nothing: no reconcile from the watch, and a reconcile anyway
// writes no file and reloads nothing.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../../src/agent/daemon/log.js";
import { PeerWatch } from "../../../../src/agent/daemon/peer-watch.js";
import { Reconciler } from "../../../../src/agent/daemon/reconciler.js";
import { config, recordFields } from "../helpers.js";
import { FakeEtcd } from "./fake-etcd.js";

const until = async (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 3000, interval: 5 });

describe("an identical record put again (a peer's new lease)", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bgpmesh-identical-"));
    mkdirSync(join(root, "etc/tinc/bgpmesh/hosts"), { recursive: true });
    mkdirSync(join(root, "etc/bird/peers.d"), { recursive: true });
    // The main config a new peers.conf is checked in (bird-check.ts).
    writeFileSync(join(root, "etc/bird/bird.conf"), 'include "/etc/bird/peers.d/*.conf";\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("is no change: no reconcile from the watch, and no file written nor reload by one", async () => {
    const etcd = new FakeEtcd();
    const node2 = JSON.stringify(recordFields("node2", 2));
    etcd.put("/peers/node2", node2, etcd.grant());
    const calls: string[] = [];
    const run = async (argv: readonly string[]) => {
      calls.push(argv.join(" "));
      return { ok: true, code: 0, stdout: "Reconfigured\n", stderr: "" };
    };
    const reconciler = new Reconciler({ config: config({ bgpPassword: "mesh secret" }), run, log: silentLogger, root });
    let changes = 0;
    let snapshots = 0;
    const watch = new PeerWatch({ client: etcd.client("c1"), log: silentLogger, onSnapshot: () => snapshots++, onChange: () => changes++ });
    watch.start();
    await until(() => snapshots === 1);
    const first = await reconciler.reconcile(watch.kvs);
    expect(first.changed).toContain("/etc/bird/peers.d/peers.conf");
    const peersConf = join(root, "etc/bird/peers.d/peers.conf");
    const mtime = statSync(peersConf).mtimeMs;
    calls.length = 0;

    etcd.put("/peers/node2", node2, etcd.grant());
    await new Promise((r) => setTimeout(r, 20));
    expect(changes).toBe(0);
    const again = await reconciler.reconcile(watch.kvs);
    expect(again.changed).toEqual([]);
    expect(calls).toEqual([]);
    expect(statSync(peersConf).mtimeMs).toBe(mtime);

    // A real change still counts.
    etcd.put("/peers/node2", JSON.stringify(recordFields("node2", 2, { meshAddress: "10.0.0.22" })));
    await until(() => changes === 1);
    await watch.stop();
  });
});
