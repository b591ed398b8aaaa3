// Registration against a fake etcd3 client: a lost lease is replaced by a new one and the record
// put again; grant failures back off; stop revokes the lease.
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import type { Etcd3 } from "etcd3";
import { silentLogger } from "../../../../src/agent/daemon/log.js";
import { Registration } from "../../../../src/agent/daemon/registration.js";

class FakeLease extends EventEmitter {
  revoked = false;
  released = false;
  constructor(readonly id: string, private readonly fail: boolean, private readonly puts: string[]) {
    super();
  }
  async grant() {
    if (this.fail) {
      this.emit("lost", new Error("14 UNAVAILABLE"));
      throw new Error("14 UNAVAILABLE");
    }
    return this.id;
  }
  put(key: string) {
    return { value: (v: string) => ({ exec: async () => void this.puts.push(`${this.id} ${key}=${v}`) }) };
  }
  async revoke() {
    this.revoked = true;
  }
  release() {
    this.released = true;
  }
}

function fakeClient(failFirst: number) {
  const leases: FakeLease[] = [];
  const puts: string[] = [];
  let failures = failFirst;
  const client = {
    lease: () => {
      const l = new FakeLease(String(leases.length + 1), failures-- > 0, puts);
      leases.push(l);
      return l;
    },
  };
  return { client: client as unknown as Etcd3, leases, puts };
}

const until = async (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 5000, interval: 5 });

describe("Registration", () => {
  it("puts the record with a lease, re-grants and re-puts after the lease is lost, revokes on stop", async () => {
    const { client, leases, puts } = fakeClient(0);
    const held: boolean[] = [];
    const r = new Registration({ client, key: "/peers/node1", value: "{}", ttlSeconds: 10, log: silentLogger, onHeld: (h) => held.push(h) });
    r.start();
    await until(() => r.isHeld);
    expect(puts).toEqual(["1 /peers/node1={}"]);
    leases[0]!.emit("lost", new Error("expired"));
    await until(() => puts.length === 2);
    expect(puts[1]).toBe("2 /peers/node1={}");
    expect(held).toEqual([true, false, true]);
    await r.stop();
    expect(leases[1]!.revoked).toBe(true);
    expect(r.isHeld).toBe(false);
  });

  it("retries with backoff while etcd refuses the grant", async () => {
    const { client, leases, puts } = fakeClient(2);
    const r = new Registration({ client, key: "/peers/node1", value: "{}", ttlSeconds: 10, log: silentLogger, onHeld: () => {} });
    r.start();
    await until(() => r.isHeld);
    expect(leases.length).toBe(3);
    expect(leases[0]!.released && leases[1]!.released).toBe(true);
    expect(puts).toEqual(["3 /peers/node1={}"]);
    await r.stop();
  });

  it("stop during a backoff returns at once", async () => {
    const { client } = fakeClient(100);
    const r = new Registration({ client, key: "/peers/node1", value: "{}", ttlSeconds: 10, log: silentLogger, onHeld: () => {} });
    r.start();
    await new Promise((res) => setTimeout(res, 20));
    const t0 = Date.now();
    await r.stop();
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it("grants no new lease while paused (a handover is under way), and does once resumed", async () => {
    const { client, leases, puts } = fakeClient(0);
    const r = new Registration({ client, key: "/peers/node1", value: "{}", ttlSeconds: 10, log: silentLogger, onHeld: () => {} });
    r.start();
    await until(() => r.isHeld);
    r.pause();
    leases[0]!.emit("lost", new Error("expired"));
    await new Promise((res) => setTimeout(res, 50));
    expect(leases.length).toBe(1);
    expect(r.isHeld).toBe(false);
    r.resume();
    await until(() => r.isHeld);
    expect(puts).toEqual(["1 /peers/node1={}", "2 /peers/node1={}"]);
    r.pause();
    const t0 = Date.now();
    await r.stop({ handedOver: true });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(leases[1]!.revoked).toBe(true);
  });
});

describe("Registration with extra keys (the IPv6 record)", () => {
  it("puts them on the same lease after the record; one etcd refuses leaves the record and its lease, and reput puts it", async () => {
    const puts: string[] = [];
    const lease = new FakeLease("1", false, puts);
    const leases: FakeLease[] = [];
    const fakeLeaseClient = { lease: () => (leases.push(lease), lease) } as unknown as Etcd3;
    // etcd refuses the IPv6 key until `refuse` is cleared (the controller granted the right).
    let refuse = true;
    const put = lease.put.bind(lease);
    lease.put = (key: string) =>
      key.startsWith("/ipv6/") && refuse ? { value: () => ({ exec: async () => Promise.reject(new Error("etcdserver: permission denied")) }) } : put(key);
    const warnings: string[] = [];
    const r = new Registration({
      client: fakeLeaseClient,
      key: "/peers/node1",
      value: "{}",
      extra: [{ key: "/ipv6/peers/node1", value: "{6}" }],
      ttlSeconds: 10,
      log: { ...silentLogger, warn: (m: string) => warnings.push(m) },
      onHeld: () => {},
    });
    r.start();
    await until(() => r.isHeld);
    expect(puts).toEqual(["1 /peers/node1={}"]);
    expect(warnings).toEqual(["cannot put /ipv6/peers/node1: etcdserver: permission denied; trying again when the record is checked"]);
    expect(leases).toHaveLength(1);
    refuse = false;
    await r.reput();
    expect(puts).toEqual(["1 /peers/node1={}", "1 /peers/node1={}", "1 /ipv6/peers/node1={6}"]);
    await r.stop();
  });
});
