// EtcdSwitch against the fake etcd: a new client takes over make-before-break (read, new lease,
// record put, and only then the old watch, lease and client go), the record is never deleted on
// the way, peers' watches see nothing change; a new client that fails is dropped and the old one
// keeps working.
import { describe, expect, it, vi } from "vitest";
import { EtcdSwitch } from "../../../../src/agent/daemon/etcd-switch.js";
import type { Logger } from "../../../../src/agent/daemon/log.js";
import { AgentMetrics } from "../../../../src/agent/daemon/metrics.js";
import { PeerWatch } from "../../../../src/agent/daemon/peer-watch.js";
import type { TlsMaterial } from "../../../../src/agent/daemon/tls-files.js";
import { FakeEtcd, type ClientFaults } from "./fake-etcd.js";

const KEY = "/peers/node1";
const VALUE = '{"name":"node1"}';

const tls = (cert: string): TlsMaterial => ({ ca: Buffer.from("ca"), cert: Buffer.from(cert), key: Buffer.from("key"), notAfter: 2_000_000_000, commonName: "node1" });

const until = async (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 5000, interval: 5 });

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  return { log, lines };
}

/** A switch on the fake store; clients are named c1, c2, … and fail as `faults[cert]` says. */
function setup(faults: Record<string, ClientFaults> = {}) {
  const etcd = new FakeEtcd();
  etcd.put("/peers/node2", '{"name":"node2"}');
  const metrics = new AgentMetrics(false);
  const { log, lines } = recordingLog();
  const made: string[] = [];
  const events = { held: [] as boolean[], snapshots: [] as string[], changes: 0 };
  const sw = new EtcdSwitch(
    {
      newClient: (t) => {
        const cert = t?.cert.toString() ?? "none";
        made.push(cert);
        return etcd.client(`c${made.length}`, faults[cert]);
      },
      key: KEY,
      value: VALUE,
      ttlSeconds: 10,
      log,
      metrics,
      onHeld: (h) => events.held.push(h),
      onSnapshot: (r) => events.snapshots.push(r),
      onChange: () => events.changes++,
      stepTimeoutMs: 1000,
    },
    tls("cert-1"),
  );
  return { etcd, metrics, sw, made, events, lines };
}

describe("EtcdSwitch", () => {
  it("hands over make-before-break: new read, new lease and put before the old lease is revoked; the record is never deleted", async () => {
    const { etcd, sw, events, made } = setup();
    // Another node's view of the mesh, on its own client: what the peers see during the switch.
    let peerChanges = 0;
    const peer = new PeerWatch({ client: etcd.client("peer"), log: recordingLog().log, onSnapshot: () => {}, onChange: () => peerChanges++ });
    sw.start();
    await until(() => sw.leaseHeld && sw.synced);
    peer.start();
    await until(() => peer.synced);
    expect(etcd.kvs.get(KEY)).toEqual({ value: VALUE, lease: "L1" });
    etcd.log.length = 0;
    events.changes = 0;

    await sw.switchTo(tls("cert-2"));

    expect(made).toEqual(["cert-1", "cert-2"]);
    const at = (entry: string) => {
      const i = etcd.log.indexOf(entry);
      expect(i, `${entry} in ${etcd.log.join(", ")}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at("c2 read /peers/")).toBeLessThan(at("c2 grant L2"));
    expect(at("c2 grant L2")).toBeLessThan(at(`c2 put ${KEY} L2`));
    expect(at(`c2 put ${KEY} L2`)).toBeLessThan(at("c1 cancel watch"));
    expect(at("c1 cancel watch")).toBeLessThan(at("c1 revoke L1"));
    expect(at("c1 revoke L1")).toBeLessThan(at("c1 close"));
    expect(etcd.log.at(-1)).toBe("c1 close");

    // The record moved to the new lease; revoking the old one deleted nothing.
    expect(etcd.kvs.get(KEY)).toEqual({ value: VALUE, lease: "L2" });
    expect(etcd.deletes).toEqual([]);
    expect(sw.leaseHeld && sw.synced).toBe(true);
    expect([...sw.kvs.keys()].sort()).toEqual(["/peers/node1", "/peers/node2"]);
    // The same value again: no change for this node's mirror nor for a peer's.
    expect(events.changes).toBe(0);
    expect(peerChanges).toBe(0);
    expect(events.held).toEqual([true, true]);
    expect(events.snapshots).toEqual(["start", "new etcd client"]);

    // The new client is the current one: its events count, the old one's watcher is gone.
    etcd.put("/peers/node3", '{"name":"node3"}');
    expect(events.changes).toBe(1);
    expect(sw.kvs.has("/peers/node3")).toBe(true);
    await sw.stop();
    await peer.stop();
    // On shutdown the revoke comes first: the peers drop this node at once.
    expect(etcd.log.filter((l) => l.startsWith("c2 ")).slice(-3)).toEqual(["c2 revoke L2", "c2 cancel watch", "c2 close"]);
    expect(etcd.kvs.has(KEY)).toBe(false);
  });

  it("with watchOnOwnClient, reads and watches on a second client, so a failed put cannot drop the watch; stop closes both", async () => {
    const etcd = new FakeEtcd();
    etcd.put("/peers/node2", '{"name":"node2"}');
    let made = 0;
    const sw = new EtcdSwitch(
      {
        newClient: () => etcd.client(`c${++made}`),
        watchOnOwnClient: true,
        key: KEY,
        value: VALUE,
        ttlSeconds: 10,
        log: recordingLog().log,
        metrics: new AgentMetrics(false),
        onHeld: () => {},
        onSnapshot: () => {},
        onChange: () => {},
      },
      tls("cert-1"),
    );
    sw.start();
    await until(() => sw.synced && sw.leaseHeld);
    const by = (c: string) => etcd.log.filter((l) => l.startsWith(`${c} `)).map((l) => l.split(" ")[1]);
    expect(new Set(by("c1"))).toEqual(new Set(["grant", "put"]));
    expect(new Set(by("c2"))).toEqual(new Set(["read", "watch"]));
    await sw.stop();
    expect(etcd.log).toContain("c1 close");
    expect(etcd.log).toContain("c2 close");
  });

  it("keeps the old client when the new one cannot connect (bad certificate)", async () => {
    const { etcd, sw, metrics, lines } = setup({ bad: { read: "14 UNAVAILABLE: certificate verify failed", grant: "14 UNAVAILABLE" } });
    sw.start();
    await until(() => sw.leaseHeld && sw.synced);
    etcd.log.length = 0;

    await expect(sw.switchTo(tls("bad"))).rejects.toThrow(/^the new client could not read \/peers\/ within 1 s \(cannot read \/peers\/ from etcd: 14 UNAVAILABLE: certificate verify failed/);
    expect(etcd.log).toContain("c2 close");
    expect(etcd.log.filter((l) => l.startsWith("c1"))).toEqual([]);
    expect(etcd.kvs.get(KEY)).toEqual({ value: VALUE, lease: "L1" });
    expect(sw.leaseHeld && sw.synced).toBe(true);
    // The client on trial reported nothing as the agent's own state.
    expect(await metrics.registry.getSingleMetricAsString("bgpmesh_etcd_connected")).toMatch(/ 1$/m);
    expect(lines.filter((l) => l.includes("cannot read")).every((l) => l.includes("new etcd client: "))).toBe(true);

    // Still the old client's events that count.
    etcd.put("/peers/node3", '{"name":"node3"}');
    expect(sw.kvs.has("/peers/node3")).toBe(true);
    await sw.stop();
  });

  it("keeps the old client when the new one may not write the record, and the old one re-registers as before", async () => {
    const { etcd, sw } = setup({ "wrong-cn": { put: "etcdserver: permission denied" } });
    sw.start();
    await until(() => sw.leaseHeld);
    await expect(sw.switchTo(tls("wrong-cn"))).rejects.toThrow(/could not register this node within 1 s \(cannot register \/peers\/node1: etcdserver: permission denied/);
    expect(etcd.kvs.get(KEY)).toEqual({ value: VALUE, lease: "L1" });
    expect(etcd.log).toContain("c2 close");
    expect(etcd.log).not.toContain("c1 revoke L1");

    // The old registration was paused during the attempt and is running again: a lost lease is replaced.
    etcd.revoke("L1");
    await until(() => etcd.kvs.get(KEY)?.lease !== undefined);
    expect(etcd.kvs.get(KEY)?.lease).not.toBe("L1");
    await sw.stop();
  });

  it("keeps the old client when the new one cannot even be built", async () => {
    const { sw } = setup();
    sw.start();
    await until(() => sw.leaseHeld);
    const broken = sw as unknown as { deps: { newClient: () => never } };
    broken.deps.newClient = () => {
      throw new Error("Private key must be given with certChain");
    };
    await expect(sw.switchTo(tls("x"))).rejects.toThrow("cannot build a client from the new files: Private key must be given with certChain");
    expect(sw.leaseHeld).toBe(true);
    await sw.stop();
  });

  it("refuses a second switch while one is under way", async () => {
    const { sw } = setup();
    sw.start();
    await until(() => sw.leaseHeld);
    const first = sw.switchTo(tls("cert-2"));
    await expect(sw.switchTo(tls("cert-3"))).rejects.toThrow("already under way");
    await first;
    await sw.stop();
  });
});
