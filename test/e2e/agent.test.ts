// The node agent on real lab hosts: one apply, and the mesh connects itself through etcd; a new
// host joins with no apply on the others; an agent restart keeps its node, a stop withdraws it; bad
// records in etcd reach no file.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/util/exec.js";
import { cli, cliOk, ssh, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { expectSameSessions } from "../helpers/bird-since.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-agent";
let lab: LabInfo;
let work: string;

function inventory(meshHosts: number): string {
  const file = join(work, `inventory-${meshHosts}.yml`);
  writeFileSync(
    file,
    meshInventory(lab, {
      mesh: lab.hosts.slice(0, meshHosts),
      hostVars: (_, i) => `, bgp_announce: [192.168.${101 + i}.0/24]`,
      etcd: ["node1", "node2", "node3"],
    }),
  );
  return file;
}

const tool = (...args: string[]): Promise<RunResult> => cli(...args, "--no-color");
const recapLine = (out: string, h: string) => out.split("\n").find((l) => l.startsWith(`${h} `) && l.includes("ok=")) ?? "";
// As the cluster's administrator (root's certificate, on an etcd member): a node may write only its own record.
const etcdctl = (args: string) =>
  `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/bgpmesh/pki/ca.crt --cert=/etc/bgpmesh/pki/root.crt --key=/etc/bgpmesh/pki/root.key ${args}`;

labPerFile(NAME, 5, (l, w) => {
  lab = l;
  work = w;
});

describe("the node agent", () => {
  it("one apply on a fresh lab, and verify --wait finds the mesh converged", async () => {
    const r = await tool("apply", "-i", inventory(3));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = await tool("verify", "-i", inventory(3), "--wait", "60s");
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^node1\s+-\s+BPR\s+BPR/m);
    expect(v.stdout).toContain("converged");
    // A prefix one node announces is in the others' kernel routing tables, via the mesh.
    expect(await sshOk(lab, "node3", "ip route show 192.168.101.0/24")).toMatch(/via 10\.0\.0\.\d+ dev tinc0 proto bird/);
    // BFD watches the peers, so the sessions the agent made have BGP's longer timers (docs/mesh.md).
    const session = await sshOk(lab, "node1", "birdc show protocols all peer_node2");
    expect(session).toMatch(/Hold timer:\s+[\d.]+\/90\n/);
    expect(session).toMatch(/Keepalive timer:\s+[\d.]+\/30\n/);
  });

  it("a second apply after the agent ran changes nothing", async () => {
    const r = await tool("apply", "-i", inventory(3));
    expect(r.code).toBe(0);
    for (const h of ["node1", "node2", "node3"]) expect(recapLine(r.stdout, h)).toMatch(/changed=0\s+failed=0/);
  });

  it("an agent restarted (systemctl restart, SIGKILL) keeps its node: no peer's session restarts; a stop withdraws it at once", async () => {
    const since = async (h: string) =>
      (await sshOk(lab, h, "birdc -r show protocols"))
        .split("\n")
        .filter((l) => /^peer_\S+.*Established/.test(l))
        .map((l) => { const w = l.split(/\s+/); return `${w[0]} ${w[4]}`; });
    const settled = await tool("verify", "-i", inventory(3), "--wait", "60s");
    expect(settled.code, settled.stdout + settled.stderr).toBe(0);
    const kept = async () => Number(await sshOk(lab, "node3", "journalctl -u bgpmesh-agent -o cat | grep -c 'keeping the record for the next agent' || true"));
    const keptBefore = await kept();
    const before = { node1: await since("node1"), node2: await since("node2") };
    expect(before.node1.map((s) => s.split(" ")[0])).toEqual(["peer_node2", "peer_node3"]);
    await sshOk(lab, "node3", "systemctl restart bgpmesh-agent");
    await sshOk(lab, "node3", "systemctl kill -s KILL bgpmesh-agent");
    // systemd starts it again after RestartSec (2 s); then give the peers' watches time to act.
    await new Promise((res) => setTimeout(res, 6000));
    expect(await sshOk(lab, "node3", "systemctl is-active bgpmesh-agent")).toBe("active\n");
    expect(await kept()).toBe(keptBefore + 1);
    // For the log if a session restarted (it did once in ten runs, the cause not found): what each
    // side's BIRD says of the session and what the agents did around the restart.
    const unrestarted = async (h: string, was: string[]) => {
      try {
        expectSameSessions(await since(h), was);
      } catch (e) {
        for (const x of ["node1", "node2", "node3"]) {
          const q = x === "node3" ? "birdc show protocols all peer_node1" : "birdc show protocols all peer_node3";
          console.log(`${x}:\n${(await ssh(lab, x, `${q}; journalctl -o short-precise --no-pager --since -2min -u bgpmesh-agent -u tinc@bgpmesh -u bird | tail -40`)).stdout}`);
        }
        throw e;
      }
    };
    for (const h of ["node1", "node2"] as const) await unrestarted(h, before[h]);

    // An apply that changes every agent's config restarts every agent (the `restart agent`
    // handler): no session anywhere restarts. The next apply puts the TTL back, restarting them again.
    const all = { node1: await since("node1"), node2: await since("node2"), node3: await since("node3") };
    for (const [i, extra] of [["-e", "agent_lease_ttl=13"], []].entries()) {
      const report = join(work, `all-agents-${i}.json`);
      const r = await tool("apply", "-i", inventory(3), ...extra, "--json", report);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const hosts = JSON.parse(readFileSync(report, "utf8")).hosts as { host: string; applied: string[] }[];
      for (const h of hosts) expect(h.applied, h.host).toContain("handler restart agent");
    }
    for (const h of ["node1", "node2", "node3"] as const) await unrestarted(h, all[h]);

    await sshOk(lab, "node3", "systemctl stop bgpmesh-agent");
    const t = Date.now();
    let seconds = -1;
    for (let i = 0; i < 40 && seconds < 0; i++) {
      const gone = await Promise.all(["node1", "node2"].map(async (h) => !(await sshOk(lab, h, "cat /etc/bird/peers.d/peers.conf")).includes("peer_node3")));
      if (gone.every(Boolean)) seconds = (Date.now() - t) / 1000;
      else await new Promise((res) => setTimeout(res, 250));
    }
    console.log(`node3's agent stopped: its peer gone from node1's and node2's BIRD config after ${seconds.toFixed(2)} s`);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(3);
    await sshOk(lab, "node3", "systemctl start bgpmesh-agent");
    const v = await tool("verify", "-i", inventory(3), "--wait", "60s");
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it("a host applied alone (--limit) is picked up by the others with no apply of theirs", async () => {
    const r = await tool("apply", "-i", inventory(4), "-l", "node4");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const end = Date.now();
    let seconds = -1;
    for (let i = 0; i < 60; i++) {
      const out = await sshOk(lab, "node4", "birdc -r show protocols | grep -c 'Established' || true");
      if (Number(out.trim()) >= 3) {
        seconds = (Date.now() - end) / 1000;
        break;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    console.log(`node4 joined: all 3 sessions Established ${seconds.toFixed(2)} s after its apply ended`);
    if (seconds < 0 || seconds > 10) {
      // For the log: where the join waited (the agents' view, BIRD's sessions, tinc's connections).
      for (const h of ["node4", "node1"]) {
        console.log(`${h}:\n${(await ssh(lab, h, "journalctl -o short-precise --no-pager --since -3min -u bgpmesh-agent -u tinc@bgpmesh -u bird | tail -40; birdc show protocols")).stdout}`);
      }
    }
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(10);
    const v = await tool("verify", "-i", inventory(4), "--wait", "30s");
    expect(v.code, v.stdout).toBe(0);
  });

  it("bad records put into etcd by hand reach no file, are counted, and the mesh stays converged", async () => {
    const pem = (await sshOk(lab, "node1", "cat /etc/tinc/bgpmesh/rsa_key.pub")).trim();
    const good = { name: "x", meshAddress: "10.0.0.250", routerId: "10.0.0.250", tincPublicKey: pem, endpoint: { address: "192.0.2.9", port: 655 }, prefixes: [], version: 1 };
    const bad: Record<string, string> = {
      "/peers/../../etc/cron.d/evil": JSON.stringify({ ...good, name: "../../etc/cron.d/evil" }),
      "/peers/inject": JSON.stringify({ ...good, name: "inject", meshAddress: "10.0.0.251\nConnectTo = evil" }),
      "/peers/bogus": JSON.stringify({ ...good, name: "bogus", tincPublicKey: "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----" }),
      "/peers/huge": JSON.stringify({ ...good, name: "huge", pad: "x".repeat(100_000) }),
    };
    for (const [key, value] of Object.entries(bad)) {
      await sshOk(lab, "node1", `${etcdctl(`put -- '${key}'`)} >/dev/null <<'EOF'\n${value}\nEOF`);
    }
    await new Promise((res) => setTimeout(res, 3000));
    for (const h of ["node1", "node2", "node3", "node4"]) {
      expect(await sshOk(lab, h, "ls /etc/tinc/bgpmesh/hosts | sort | tr '\\n' ' '")).toBe("node1 node2 node3 node4 ");
      expect(await sshOk(lab, h, "grep -c evil /etc/tinc/bgpmesh/tinc.conf /etc/bird/peers.d/peers.conf || true")).not.toMatch(/:[1-9]/);
      expect((await ssh(lab, h, "ls /etc/cron.d/evil")).code).not.toBe(0);
    }
    const metrics = await sshOk(lab, "node2", "curl -s http://127.0.0.1:2112/metrics");
    expect(Number(/^bgpmesh_invalid_records (\d+)/m.exec(metrics)?.[1])).toBe(4);
    const v = await tool("verify", "-i", inventory(4), "--wait", "20s");
    expect(v.code, v.stdout).toBe(0);
  });

  it("a node powered off leaves the survivors' sessions and routes at once, and comes back by itself", async () => {
    const established = async (h: string, peer: string) => /Established/.test(await sshOk(lab, h, `birdc -r show protocols ${peer} || true`));
    await ssh(lab, "node4", "systemctl poweroff");
    const t = Date.now();
    let seconds = -1;
    for (let i = 0; i < 80; i++) {
      const gone = await Promise.all(
        ["node1", "node2", "node3"].map(async (h) => !(await established(h, "peer_node4")) && (await sshOk(lab, h, "ip route show 192.168.104.0/24")).trim() === ""),
      );
      if (gone.every(Boolean)) {
        seconds = (Date.now() - t) / 1000;
        break;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    console.log(`node4 powered off: gone from the survivors' sessions and routes after ${seconds.toFixed(2)} s`);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThanOrEqual(5);
    // Power on: the lab boots it again; nothing is applied, the agent brings it back.
    await cliOk("lab", "up", "--name", NAME, "--hosts", "5");
    const v = await tool("verify", "-i", inventory(4), "--wait", "60s");
    expect(v.code, v.stdout).toBe(0);
  });

  it("etcd down for 30 s: BGP and tinc keep running and no file changes; a node joins once it is back", async () => {
    for (const h of ["node1", "node2", "node3"]) await sshOk(lab, h, "systemctl stop etcd");
    const mtimes = await sshOk(lab, "node1", "stat -c %Y /etc/tinc/bgpmesh/tinc.conf /etc/bird/peers.d/peers.conf /etc/tinc/bgpmesh/hosts/node2");
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const sessions = await sshOk(lab, "node1", "birdc -r show protocols | grep -c Established || true");
      expect(Number(sessions.trim())).toBe(3);
      // Two tries: tinc renews its packet keys every 30 s here, and a renewal may drop a packet in
      // flight (docs/mesh.md); one lost ping failed this test once in CI, 27 s into the outage.
      await sshOk(lab, "node1", "ping -c2 -i0.5 -W1 -q $(grep -o 'neighbor [0-9.]*' /etc/bird/peers.d/peers.conf | head -1 | cut -d' ' -f2) >/dev/null");
      await new Promise((res) => setTimeout(res, 3000));
    }
    expect(await sshOk(lab, "node1", "stat -c %Y /etc/tinc/bgpmesh/tinc.conf /etc/bird/peers.d/peers.conf /etc/tinc/bgpmesh/hosts/node2")).toBe(mtimes);
    for (const h of ["node1", "node2", "node3"]) await sshOk(lab, h, "systemctl start --no-block etcd");
    await tool("verify", "-i", inventory(4), "--wait", "60s");
    // A new node needs etcd up: its etcd user is made on the first member, which the run includes.
    const r = await tool("apply", "-i", inventory(5), "-l", "node5");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain("node1: also in this run: it keeps etcd's users, which node5 needs to register");
    const v = await tool("verify", "-i", inventory(5), "--wait", "90s");
    expect(v.code, v.stdout).toBe(0);
  });
});
