// The mesh roles on real lab hosts of Debian 13 (trixie: BIRD 3, etcd 3.5, nodejs 20; the other
// lab tests run Debian 12, and chaos.test.ts a mix) whose underlay is IPv6 only (lab up --underlay
// ipv6: SSH, apt, etcd and tinc all over IPv6): an etcd cluster (rolling restarts that keep
// quorum), tinc with keys made on the hosts, BIRD with a validated config; idempotence, clients,
// refusals, secrets; the mesh turned dual stack by one apply.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/util/exec.js";
import { sleep, waitFor } from "../../src/util/time.js";
import { cli, cliOk, ssh, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-mesh";
const TOKEN = "cluster-T0ken-9f2e";
let lab: LabInfo;
let work: string;
const seen: string[] = [];
/** From "dual stack" on, the mesh has IPv6 (mesh_ipv6) and node3 announces an IPv6 prefix too. */
let dualStack = false;
const NODE3_PREFIX = "198.51.100.0/26";
const NODE3_PREFIX6 = "2001:db8:300::/48";

/** An inventory of the first `meshHosts` lab hosts, the first three of them etcd members. */
function inventory(meshHosts: number, extraVars = ""): string {
  const file = join(work, `inventory-${meshHosts}.yml`);
  writeFileSync(
    file,
    meshInventory(lab, {
      mesh: lab.hosts.slice(0, meshHosts),
      vars: `    etcd_cluster_token: !secret ${TOKEN}\n${dualStack ? "    mesh_ipv6: true\n" : ""}${extraVars}`,
      hostVars: (h) => (h.name === "node3" ? `, bgp_announce: [192.168.77.0/24, ${NODE3_PREFIX}${dualStack ? `, "${NODE3_PREFIX6}"` : ""}]` : ""),
      meshExtra: "      vars:\n        bgp_announce: [192.168.77.0/24]\n        bgp_anycast: [192.168.77.0/24]\n",
      etcd: ["node1", "node2", "node3"],
    }),
  );
  return file;
}

async function tool(...args: string[]): Promise<RunResult> {
  const r = await cli(...args, "--no-color");
  seen.push(r.stdout, r.stderr);
  return r;
}

const recapLine = (out: string, h: string) => out.split("\n").find((l) => l.startsWith(`${h} `) && /ok=|unchanged=/.test(l)) ?? "";
const three = ["node1", "node2", "node3"];
// As the host itself: the etcd_client role's settings (its certificate, the cluster's endpoints).
const etcdctl = (args: string) => `set -a; . /etc/bgpmesh/etcd.env; set +a; etcdctl ${args}`;

/** Stops `host`'s package install (SIGSTOP) once it starts, until the `others` run etcd with their log. */
async function lastToStart(host: string, others: string[]): Promise<void> {
  await waitFor(`apt-get on ${host}`, 150_000, async () => ((await ssh(lab, host, "pgrep -x apt-get")).code === 0 || undefined), 250);
  await ssh(lab, host, "pkill -STOP -x apt-get; pkill -STOP -x dpkg");
  try {
    await waitFor(`an etcd log on ${others.join(" and ")} while ${host} was held`, 240_000, async () => {
      const logs = await Promise.all(others.map((h) => ssh(lab, h, "ls /var/lib/etcd/bgpmesh/member/wal/*.wal")));
      return logs.every((l) => l.code === 0) || undefined;
    }, 500);
    // The two need a few seconds to elect a leader and answer.
    await sleep(5000);
  } finally {
    await ssh(lab, host, "pkill -CONT -x dpkg; pkill -CONT -x apt-get");
  }
}

labPerFile(
  NAME,
  5,
  (l, w) => {
    lab = l;
    work = w;
  },
  { release: "trixie", underlay: "ipv6" },
);

describe("a three-host mesh", () => {
  it("plan on fresh hosts lists every file that will be written", async () => {
    const r = await tool("plan", "-i", inventory(3), "--detailed-exitcode");
    expect(r.code, r.stderr).toBe(2);
    const files = [
      "/etc/default/etcd",
      "/etc/systemd/system/etcd.service.d/bgpmesh.conf",
      "/etc/bgpmesh/etcd.env",
      "/etc/profile.d/bgpmesh-etcd.sh",
      "/etc/tinc/bgpmesh/tinc.conf",
      "/etc/tinc/bgpmesh/tinc-up",
      "/etc/tinc/bgpmesh/tinc-down",
      "/etc/bird/bird.conf",
      "/etc/bird/peers.d/00-bgpmesh.conf",
    ];
    for (const h of three) {
      const block = r.stdout.split(/\n(?=node\d)/).find((b) => b.startsWith(`${h}:`))!;
      for (const f of [...files, `/etc/tinc/bgpmesh/hosts/${h}`]) expect(block, `${h} ${f}`).toContain(`create file ${f}`);
      expect(block).toMatch(/install packages .*etcd-server/);
    }
  });

  it("apply builds a healthy 3-member etcd cluster (node1 the last to start), tinc with the mesh address, BIRD with its config", async () => {
    // node1's apt is held (SIGSTOP) until node2 and node3 run the new cluster without it: the race a
    // CI run lost when node1 was slower than the others (it took itself for a member whose data was
    // lost, removed itself, and could not be added again: "etcdserver: unhealthy cluster").
    const applied = tool("apply", "-i", inventory(3), "--json", join(work, "first.json"));
    await lastToStart("node1", ["node2", "node3"]);
    const r = await applied;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    seen.push(readFileSync(join(work, "first.json"), "utf8"));
    const health = await sshOk(lab, "node1", `${etcdctl("endpoint health --cluster")} 2>&1`);
    expect(health.match(/is healthy/g)).toHaveLength(3);
    // It started as the member the bootstrap made: not removed and added again (which writes the join file).
    expect((await ssh(lab, "node1", "test -e /etc/default/etcd-join")).code).toBe(1);
    expect((await sshOk(lab, "node2", `${etcdctl("member list")}`)).trim().split("\n")).toHaveLength(3);
    const addresses = new Set<string>();
    for (const h of three) {
      expect((await sshOk(lab, h, "systemctl is-active tinc@bgpmesh bird etcd")).trim().split("\n")).toEqual(["active", "active", "active"]);
      const addr = (await sshOk(lab, h, "ip -4 -o addr show dev tinc0 | awk '{print $4}'")).trim();
      expect(addr).toMatch(/^10\.0\.0\.\d+\/24$/);
      addresses.add(addr);
      expect(await sshOk(lab, h, "birdc show status")).toContain(`Router ID is ${addr.split("/")[0]}`);
      expect(await sshOk(lab, h, "birdc show protocols")).toMatch(/static\d?\s+Static\s+master4\s+up/);
      expect(await sshOk(lab, h, "birdc show route 192.168.77.0/24")).toContain("blackhole");
      expect(await sshOk(lab, h, "stat -c '%a %U' /etc/tinc/bgpmesh/rsa_key.priv")).toBe("600 root\n");
      expect(await sshOk(lab, h, "head -1 /etc/tinc/bgpmesh/rsa_key.pub")).toBe("-----BEGIN RSA PUBLIC KEY-----\n");
    }
    expect(addresses.size).toBe(3);
    // The underlay is IPv6 only: eth0 has no IPv4 address, and etcd and tinc run between the hosts' IPv6 addresses.
    for (const h of lab.hosts.slice(0, 3)) {
      const eth0 = await sshOk(lab, h.name, "ip -o addr show dev eth0");
      expect(eth0).not.toMatch(/\sinet\s/);
      expect(eth0).toContain(`inet6 ${h.address}/64`);
    }
    const node1 = await sshOk(lab, "node1", "cat /etc/tinc/bgpmesh/tinc.conf /etc/default/etcd");
    expect(node1).toContain("AddressFamily = any\n");
    expect(node1).toContain(`ETCD_ADVERTISE_CLIENT_URLS=https://[${lab.hosts[0]!.address}]:2379\n`);
    // Debian 13's own: the bird3 package (the role's choice for trixie), etcd 3.5, nodejs 20 for the agent.
    for (const h of three) {
      expect(await sshOk(lab, h, "dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' 'bird*' 2>/dev/null | awk '$1 == \"ii\" { print $2 }'")).toBe("bird3\n");
      expect(await sshOk(lab, h, "bird --version 2>&1")).toMatch(/^BIRD version 3\.\d+/);
      expect(await sshOk(lab, h, "etcd --version | head -1")).toMatch(/^etcd Version: 3\.5\./);
      expect(await sshOk(lab, h, "node --version")).toMatch(/^v20\./);
    }
  });

  it("a second apply changes nothing; plan shows nothing", async () => {
    const r = await tool("apply", "-i", inventory(3));
    expect(r.code).toBe(0);
    for (const h of three) expect(recapLine(r.stdout, h)).toMatch(/changed=0\s+failed=0/);
    const p = await tool("plan", "-i", inventory(3), "--detailed-exitcode");
    expect(p.code).toBe(0);
    for (const h of three) expect(p.stdout).toContain(`${h}: no changes`);
  });

  it("refuses a bird.conf that does not parse, and BIRD keeps running the old one", async () => {
    const before = await sshOk(lab, "node1", "sha256sum /etc/bird/bird.conf; birdc show status | grep -c ready");
    const r = await tool("apply", "-i", inventory(3), "-l", "node1", "-e", "bgp_as=not-a-number");
    expect(r.code).toBe(1);
    expect(recapLine(r.stdout, "node1")).toMatch(/failed=1/);
    expect(r.stdout).toMatch(/node1[\s\S]*file \/etc\/bird\/bird\.conf failed[\s\S]*validation failed: bird -p -c/);
    expect(await sshOk(lab, "node1", "sha256sum /etc/bird/bird.conf; birdc show status | grep -c ready")).toBe(before);
  });
});

describe("dual stack", () => {
  const v6 = async (h: string) => (await sshOk(lab, h, "ip -6 -o addr show dev tinc0 scope global | awk '{print $4}'")).trim();

  it("one apply turns the IPv4 mesh dual stack, and node1 keeps every IPv4 route throughout", async () => {
    const before = (await sshOk(lab, "node1", "ip -o -4 route show proto bird")).trim();
    expect(before).toContain(`${NODE3_PREFIX} via 10.0.0.`);
    // node1's IPv4 routes, sampled every 0.1 s on the host itself for the whole apply.
    await sshOk(lab, "node1", `nohup sh -c 'while :; do echo "S $(ip -o -4 route show proto bird | tr "\\n" "|")"; sleep 0.1; done' >/tmp/v4routes 2>&1 </dev/null & echo $! >/tmp/v4routes.pid`);
    dualStack = true;
    const r = await tool("apply", "-i", inventory(3));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // tinc is not restarted (tinc-up runs again on the live interface): no tunnel is cut.
    expect(r.stderr).not.toMatch(/handler restart tinc/);
    await new Promise((res) => setTimeout(res, 3000));
    await sshOk(lab, "node1", "kill $(cat /tmp/v4routes.pid)");
    const routesOf = (sample: string) => sample.slice(2).split("|").map((r) => r.trim()).filter((r) => r !== "").sort().join("\n");
    const samples = (await sshOk(lab, "node1", "cat /tmp/v4routes")).split("\n").filter((l) => l.startsWith("S "));
    expect(samples.length).toBeGreaterThan(50);
    const want = before.split("\n").map((r) => r.trim()).sort().join("\n");
    expect(samples.map(routesOf).filter((x) => x !== want), "samples that differ from the routes before").toEqual([]);
  });

  it("every node pings every other's IPv6 mesh address over tinc; node3's IPv6 prefix is in node1's kernel via node3's IPv6 mesh address; verify checks both", async () => {
    const addr: Record<string, string> = {};
    for (const h of three) {
      addr[h] = await v6(h);
      expect(addr[h]).toMatch(/^fd[0-9a-f]{2}:[0-9a-f:]+\/64$/);
    }
    for (const a of three) for (const b of three.filter((x) => x !== a)) await sshOk(lab, a, `ping -c 1 -w 10 ${addr[b]!.split("/")[0]}`);
    let route = "";
    for (let i = 0; i < 20 && !route.includes("via"); i++) {
      route = await sshOk(lab, "node1", `ip -6 route show ${NODE3_PREFIX6} proto bird`);
      if (!route.includes("via")) await new Promise((res) => setTimeout(res, 500));
    }
    expect(route).toContain(`${NODE3_PREFIX6} via ${addr.node3!.split("/")[0]} dev tinc0`);
    expect(await sshOk(lab, "node1", "birdc show protocols")).toMatch(/peer6_node3\s+BGP\s+---\s+up\s+.*Established/);
    // The BIRD exporter (what the dashboard and the alert read) shows the IPv6 sessions, and the agent counts them.
    const exporter = await sshOk(lab, "node1", "curl -s http://127.0.0.1:9324/metrics");
    for (const peer of ["node2", "node3"]) expect(exporter).toMatch(new RegExp(`^bird_protocol_up\\{[^}]*name="peer6_${peer}"[^}]*\\} 1$`, "m"));
    // (The agent refreshes its BGP metrics when scraped, at most every 2 s: the first scrape may be older.)
    let metrics = "";
    for (let i = 0; i < 10 && !/^bgpmesh_bgp_sessions6_established 2$/m.test(metrics); i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 1000));
      metrics = await sshOk(lab, "node1", "curl -s http://127.0.0.1:2112/metrics");
    }
    expect(metrics).toMatch(/^bgpmesh_bgp_sessions6_established 2$/m);
    const v = await tool("verify", "-i", inventory(3), "--wait", "60s");
    expect(v.code, v.stdout).toBe(0);
    const tinc = await sshOk(lab, "node1", "ss -tn state established '( sport = :655 or dport = :655 )'");
    for (const h of lab.hosts.slice(1, 3)) expect(tinc).toContain(`[${h.address}]`);
    const table = v.stdout.split("\n");
    const v6Rows = table.slice(table.indexOf("IPv6:") + 2, table.indexOf("IPv6:") + 5);
    expect(v6Rows).toHaveLength(3);
    for (const row of v6Rows) expect(row).toMatch(/^node\d\s+(?:(?:-|BPR)\s+){3}$/);
  });

  it("a second apply changes nothing", async () => {
    const r = await tool("apply", "-i", inventory(3));
    expect(r.code).toBe(0);
    for (const h of three) expect(recapLine(r.stdout, h)).toMatch(/changed=0\s+failed=0/);
  });
});

describe("a five-host mesh with three etcd members", () => {
  it("the two other hosts use the cluster as clients", async () => {
    const r = await tool("apply", "-i", inventory(5));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // node1 keeps etcd's users: two more nodes, two more users (the script, and its run)
    expect(recapLine(r.stdout, "node1")).toMatch(/changed=2/);
    for (const h of ["node2", "node3"]) expect(recapLine(r.stdout, h)).toMatch(/changed=0/);
    for (const h of ["node4", "node5"]) {
      expect((await ssh(lab, h, "dpkg-query -W -f '${Status}' etcd-server")).stdout).not.toContain("install ok installed");
      // A client reads the peers; it may write its own record only (per-node rights, docs/security.md).
      expect(await sshOk(lab, h, etcdctl("get /peers/ --prefix --keys-only"))).toContain("/peers/node1\n");
      expect((await ssh(lab, h, `${etcdctl(`put from-${h} yes`)} 2>&1`)).stdout).toMatch(/permission denied/);
    }
    expect((await sshOk(lab, "node5", etcdctl("member list"))).trim().split("\n")).toHaveLength(3);
  });

  it("a changed etcd setting restarts members one at a time while clients keep working", async () => {
    // A client on node4 writes and reads for the whole rolling restart, counting every error.
    const loop = ssh(
      lab,
      "node4",
      "set -a; . /etc/bgpmesh/etcd.env; set +a; fails=0; i=0; end=$(( $(date +%s) + 25 )); " +
        "while [ $(date +%s) -lt $end ]; do i=$((i+1)); " +
        // quorum reads of the peers, as the node agent does them
        "etcdctl --command-timeout=5s get /peers/node4 --print-value-only 2>>/tmp/loop.err | grep -q meshAddress || fails=$((fails+1)); " +
        "sleep 0.1; done; echo ops=$i fails=$fails",
    );
    const pidsBefore = await Promise.all(three.map((h) => sshOk(lab, h, "systemctl show -p MainPID --value etcd")));
    const r = await tool("apply", "-i", inventory(5), "-e", "etcd_snapshot_count=20000");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr.match(/handler restart etcd: this host's turn/g)).toHaveLength(3);
    const pidsAfter = await Promise.all(three.map((h) => sshOk(lab, h, "systemctl show -p MainPID --value etcd")));
    pidsAfter.forEach((p, i) => expect(p).not.toBe(pidsBefore[i]));
    // One at a time: each member went down only after the one before it was back up. (Monotonic
    // clocks in microseconds, shared by all lab hosts: they run on one kernel.)
    const times = await Promise.all(
      three.map((h) =>
        sshOk(lab, h, "systemctl show -p ActiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic etcd").then((out) => ({
          down: Number(/ActiveExitTimestampMonotonic=(\d+)/.exec(out)?.[1]),
          up: Number(/ActiveEnterTimestampMonotonic=(\d+)/.exec(out)?.[1]),
        })),
      ),
    );
    const order = [...times].sort((a, b) => a.down - b.down);
    expect(order[1]!.down).toBeGreaterThanOrEqual(order[0]!.up);
    expect(order[2]!.down).toBeGreaterThanOrEqual(order[1]!.up);
    const result = await loop;
    expect(result.stdout).toMatch(/ops=\d+ fails=0/);
    expect(Number(/ops=(\d+)/.exec(result.stdout)?.[1])).toBeGreaterThan(20);
    const health = await sshOk(lab, "node5", `${etcdctl("endpoint health --cluster")} 2>&1`);
    expect(health.match(/is healthy/g)).toHaveLength(3);
  });
});

describe("a reboot of every host", () => {
  it("brings the cluster, tinc and BIRD back with nothing to re-apply", async () => {
    await cliOk("lab", "down", "--name", NAME, "--keep-state");
    await cliOk("lab", "up", "--name", NAME, "--hosts", "5");
    let health = "";
    for (let i = 0; i < 30 && (health.match(/is healthy/g) ?? []).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      health = (await ssh(lab, "node4", `${etcdctl("endpoint health --cluster")} 2>&1`)).stdout;
    }
    expect(health.match(/is healthy/g)).toHaveLength(3);
    for (const h of ["node1", "node4"]) {
      expect((await sshOk(lab, h, "systemctl is-active tinc@bgpmesh bird")).trim().split("\n")).toEqual(["active", "active"]);
      expect(await sshOk(lab, h, "ip -4 -o addr show dev tinc0")).toMatch(/inet 10\.0\.0\.\d+\/24/);
      expect(await sshOk(lab, h, "ip -6 -o addr show dev tinc0 scope global")).toMatch(/inet6 fd[0-9a-f:]+\/64/);
    }
    // The same inputs as the last apply (the rolling-restart test changed etcd_snapshot_count).
    const r = await tool("apply", "-i", inventory(5), "-e", "etcd_snapshot_count=20000");
    expect(r.code).toBe(0);
    for (const h of lab.hosts) expect(recapLine(r.stdout, h.name)).toMatch(/changed=0\s+failed=0/);
  });
});

describe("secrets and keys", () => {
  it("appear in no output, plan or report", async () => {
    const keys = await Promise.all(three.map((h) => sshOk(lab, h, "sed -n 2p /etc/tinc/bgpmesh/rsa_key.priv")));
    expect(await sshOk(lab, "node1", `grep -c ${TOKEN} /etc/default/etcd`)).toBe("1\n");
    const all = seen.join("\n");
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(TOKEN);
    for (const k of keys) expect(all).not.toContain(k.trim());
  });
});
