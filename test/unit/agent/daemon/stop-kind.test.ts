// A restart of the agent keeps its record; a stop withdraws it. The kind of stop comes from
// systemd's job on the unit (text as `systemctl list-jobs --no-legend --plain` prints it, seen on a
// lab host during `systemctl restart`, `try-restart`, `reload-or-restart` and `stop`), and a
// restart hands the record from the old lease to the new agent's without a delete on the watch.
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../../src/agent/daemon/log.js";
import { PeerWatch } from "../../../../src/agent/daemon/peer-watch.js";
import { Registration } from "../../../../src/agent/daemon/registration.js";
import { ownUnit, stopKind, stopKindFromJobs } from "../../../../src/agent/daemon/stop-kind.js";
import { FakeEtcd } from "./fake-etcd.js";

const until = async (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 3000, interval: 5 });

const CGROUP_V1 = "12:pids:/system.slice/bgpmesh-agent.service\n1:name=systemd:/system.slice/bgpmesh-agent.service\n0::/system.slice/bgpmesh-agent.service\n";
const CGROUP_SHELL = "0::/user.slice/user-0.slice/session-3.scope\n";

describe("which stop is this", () => {
  it("finds the unit the agent runs in", () => {
    expect(ownUnit(CGROUP_V1)).toBe("bgpmesh-agent.service");
    expect(ownUnit(CGROUP_SHELL)).toBeUndefined();
  });

  it("reads systemd's job on the unit: restart kinds keep the record, a stop does not", () => {
    expect(stopKindFromJobs("803 bgpmesh-agent.service restart running\n", "bgpmesh-agent.service")).toBe("restart");
    expect(stopKindFromJobs("904 bgpmesh-agent.service try-restart running\n", "bgpmesh-agent.service")).toBe("restart");
    expect(stopKindFromJobs("853 bgpmesh-agent.service stop running\n", "bgpmesh-agent.service")).toBe("stop");
    // Poweroff: many units stopping, ours among them.
    expect(stopKindFromJobs("1 poweroff.target start waiting\n7 bgpmesh-agent.service stop running\n9 tinc@bgpmesh.service restart waiting\n", "bgpmesh-agent.service")).toBe("stop");
    expect(stopKindFromJobs("", "bgpmesh-agent.service")).toBe("stop");
  });

  it("asks systemctl about its own unit; outside systemd or when systemctl fails it is a stop", async () => {
    const argvs: string[] = [];
    const ok = async (argv: readonly string[]) => (argvs.push(argv.join(" ")), { ok: true, code: 0, stdout: "803 bgpmesh-agent.service restart running\n", stderr: "" });
    expect(await stopKind(ok, () => CGROUP_V1)).toEqual({ kind: "restart", why: "systemd is restarting bgpmesh-agent.service" });
    expect(argvs).toEqual(["systemctl list-jobs --no-legend --plain bgpmesh-agent.service"]);
    expect((await stopKind(ok, () => CGROUP_SHELL)).kind).toBe("stop");
    const failing = async () => ({ ok: false, code: 1, stdout: "", stderr: "Failed to connect to bus", error: "exit 1" });
    expect(await stopKind(failing, () => CGROUP_V1)).toEqual({ kind: "stop", why: "systemctl list-jobs failed (exit 1)" });
    expect((await stopKind(ok, () => { throw new Error("ENOENT"); })).kind).toBe("stop");
  });
});

describe("an agent restart", () => {
  it("lets the lease go unrevoked; the next agent's put moves the record and the old lease's expiry deletes nothing", async () => {
    const etcd = new FakeEtcd();
    const deletes: string[] = [];
    let changes = 0;
    let snapshots = 0;
    const watch = new PeerWatch({ client: etcd.client("peer"), log: silentLogger, onSnapshot: () => snapshots++, onChange: () => changes++ });
    const registration = (client: string) => new Registration({ client: etcd.client(client), key: "/peers/node3", value: '{"name":"node3"}', ttlSeconds: 10, log: silentLogger, onHeld: () => {} });

    const old = registration("old");
    old.start();
    await until(() => old.isHeld);
    watch.start();
    await until(() => snapshots === 1);
    const oldLease = etcd.kvs.get("/peers/node3")!.lease!;
    for (const w of etcd.watchers) w.on("delete", (kv: { key: Buffer }) => deletes.push(kv.key.toString()));

    await old.stop({ keepRecord: true });
    expect(etcd.log).toContain(`old release ${oldLease}`);
    expect(etcd.log.filter((l) => l.includes("revoke"))).toEqual([]);
    expect(etcd.kvs.has("/peers/node3")).toBe(true);

    const next = registration("next");
    next.start();
    await until(() => next.isHeld);
    expect(etcd.kvs.get("/peers/node3")!.lease).not.toBe(oldLease);
    // The old lease runs out its TTL: the record is under the new one now.
    etcd.revoke(oldLease);
    expect(etcd.kvs.has("/peers/node3")).toBe(true);
    expect(deletes).toEqual([]);
    expect(changes).toBe(0);

    // A real stop still withdraws the node at once.
    await next.stop();
    expect(etcd.kvs.has("/peers/node3")).toBe(false);
    await until(() => deletes.length === 1);
    await watch.stop();
  });
});
