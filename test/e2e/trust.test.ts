// The trust boundary on real lab hosts (etcd over TLS, per-node rights): what a node with root on
// itself does to the others. The controller publishes each node's allocation (/allocations/<name>,
// root only); the agents take a peer only as far as its allocation says, and BIRD imports from a
// peer only its allocated prefixes. Each attack is replayed and the victims are watched.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../src/util/exec.js";
import { cli, ssh, sshOk, type LabInfo } from "../helpers/cli.js";
import { expectSameSessions } from "../helpers/bird-since.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-trust";
let lab: LabInfo;
let work: string;

const ADDRESS: Record<string, string> = { node1: "10.0.0.11", node2: "10.0.0.12", node3: "10.0.0.13", node4: "10.0.0.14" };
// The mesh is dual stack (mesh_ipv6), with pinned IPv6 mesh addresses.
const SUBNET6 = "fd0b:9e5a:1::/64";
const ADDRESS6: Record<string, string> = { node1: "fd0b:9e5a:1::11", node2: "fd0b:9e5a:1::12", node3: "fd0b:9e5a:1::13", node4: "fd0b:9e5a:1::14" };
const NODE3_PREFIX6 = "2001:db8:300::/48";
const NODE3_PREFIX = "198.51.100.0/26";
const NODE3_MORE = "198.51.100.64/26";
const NODE4_PREFIX = "203.0.113.0/28";

/** The inventory, with node3's prefixes as given, and more of node4's own settings. */
function inventory(node3: string[] = [NODE3_PREFIX], extra = ""): string {
  const file = join(work, "inventory.yml");
  const own: Record<string, string> = { node3: `, bgp_announce: [${[...node3, `"${NODE3_PREFIX6}"`].join(", ")}]`, node4: `, bgp_announce: [${NODE4_PREFIX}]` };
  writeFileSync(
    file,
    meshInventory(lab, {
      vars: `    mesh_ipv6: true\n    mesh_subnet6: "${SUBNET6}"\n`,
      hostVars: (h) => `, mesh_address: ${ADDRESS[h.name]}, mesh_address6: "${ADDRESS6[h.name]}"${own[h.name] ?? ""}${h.name === "node4" ? extra : ""}`,
    }),
  );
  return file;
}

async function tool(...args: string[]): Promise<RunResult> {
  return cli(...args, "--no-color");
}
async function toolOk(...args: string[]): Promise<string> {
  const r = await tool(...args);
  if (r.code !== 0) throw new Error(`bgpmesh-provision ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}
/** etcdctl on a host as that host (its own certificate): all an attacker with root on it has. */
const asNode = (host: string, args: string) => ssh(lab, host, `set -a; . /etc/bgpmesh/etcd.env; set +a; etcdctl ${args} 2>&1`);
/** The lines of `birdc show protocols` for Established peer sessions, name and since. */
const sessions = async (host: string) =>
  (await sshOk(lab, host, "birdc -r show protocols"))
    .split("\n")
    .filter((l) => /^peer_\S+.*Established/.test(l))
    .map((l) => l.split(/\s+/).slice(0, 1).concat(l.split(/\s+/).slice(4, 5)).join(" "));
const routes = (host: string) => sshOk(lab, host, "ip -o -4 route show proto bird");
const routes6 = (host: string) => sshOk(lab, host, "ip -o -6 route show proto bird");
const metric = async (host: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(await sshOk(lab, host, "curl -s http://127.0.0.1:2112/metrics"))?.[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits up to 20 s for `prefix` to be in `host`'s kernel via `via`; its routes as last seen. */
async function routeVia(host: string, prefix: string, via: string): Promise<string> {
  let r = "";
  for (let i = 0; i < 40 && !r.includes(`${prefix} via ${via} `); i++) {
    await sleep(500);
    r = await routes(host);
  }
  return r;
}

/** Samples `host`'s sessions every 0.3 s while `during` runs, and `settle` ms after. */
async function watchSessions(host: string, during: () => Promise<void>, settle: number): Promise<string[][]> {
  let on = true;
  const samples: string[][] = [];
  const sampler = (async () => {
    while (on) {
      samples.push(await sessions(host));
      await sleep(300);
    }
  })();
  await during();
  await sleep(settle);
  on = false;
  await sampler;
  return samples;
}

/** node's own record as its agent put it. */
const ownRecord = async (host: string) => JSON.parse((await asNode(host, `get /peers/${host} --print-value-only`)).stdout.trim()) as Record<string, unknown>;

/** node's own record, rewritten as the node itself may (its agent stopped first, so it stays). */
async function forgeOwnRecord(host: string, record: Record<string, unknown>, change: Record<string, unknown>): Promise<void> {
  await sshOk(lab, host, "systemctl stop bgpmesh-agent");
  const put = await ssh(lab, host, `set -a; . /etc/bgpmesh/etcd.env; set +a; etcdctl put /peers/${host} -- <<'EOF'\n${JSON.stringify({ ...record, ...change })}\nEOF`);
  expect(put.stdout + put.stderr).toContain("OK");
}

async function restoreAgent(host: string): Promise<void> {
  await asNode(host, `del /peers/${host}`);
  await sshOk(lab, host, "systemctl start bgpmesh-agent");
  await toolOk("verify", "-i", inventory(), "--wait", "60s");
}

labPerFile(NAME, 4, (l, w) => {
  lab = l;
  work = w;
});

beforeAll(async () => {
  await toolOk("apply", "-i", inventory());
  await toolOk("verify", "-i", inventory(), "--wait", "90s");
}, 600_000);

describe("the trust boundary", () => {
  it("the controller publishes each node's allocation, which nodes read and cannot write", async () => {
    const alloc = JSON.parse((await asNode("node2", "get /allocations/node3 --print-value-only")).stdout.trim());
    expect(alloc).toEqual({ version: 1, name: "node3", meshAddress: "10.0.0.13", routerId: "10.0.0.13", prefixes: [{ prefix: NODE3_PREFIX, ge: 26, le: 26 }] });
    expect((await asNode("node3", `put /allocations/node3 '${JSON.stringify({ ...alloc, prefixes: [{ prefix: "0.0.0.0/0", ge: 0, le: 32 }] })}'`)).stdout).toMatch(/permission denied/);
    expect((await asNode("node3", "del /allocations/node2")).stdout).toMatch(/permission denied/);
    // IPv6: the controller's /ipv6/allocations/, the node's own /ipv6/peers/<name>, and nothing else.
    expect(JSON.parse((await asNode("node2", "get /ipv6/allocations/node3 --print-value-only")).stdout.trim())).toEqual({
      version: 1,
      name: "node3",
      meshAddress6: ADDRESS6.node3,
      prefixes: [{ prefix: NODE3_PREFIX6, ge: 48, le: 48 }],
    });
    expect(JSON.parse((await asNode("node2", "get /ipv6/peers/node3 --print-value-only")).stdout.trim())).toEqual({ name: "node3", meshAddress6: ADDRESS6.node3, prefixes: [NODE3_PREFIX6], version: 1 });
    expect((await asNode("node3", `put /ipv6/allocations/node3 '{}'`)).stdout).toMatch(/permission denied/);
    expect((await asNode("node3", `put /ipv6/peers/node2 '{}'`)).stdout).toMatch(/permission denied/);
  });

  it("eviction: a node rewriting its record with another's mesh address takes nothing from that node", async () => {
    const before = await sessions("node1");
    const record = await ownRecord("node3");
    const samples = await watchSessions("node1", () => forgeOwnRecord("node3", record, { meshAddress: ADDRESS.node2 }), 6000);
    // node2's session with node1 never went down (the same "since" throughout), node3's record is refused.
    const node2 = before.filter((x) => x.startsWith("peer_node2 "));
    for (const s of samples) expectSameSessions(s.filter((x) => x.startsWith("peer_node2 ")), node2);
    expect(await sshOk(lab, "node1", "cat /etc/bird/peers.d/peers.conf")).not.toContain("peer_node3");
    expect(await metric("node1", "bgpmesh_invalid_records")).toBeGreaterThanOrEqual(1);
    expect(await sshOk(lab, "node1", "journalctl -u bgpmesh-agent --since -1min --no-pager -o cat")).toContain("meshAddress differs from the node's allocation");
    const v = await tool("verify", "-i", inventory());
    expect(v.stdout).toMatch(/^node1\s+-\s+BPR\s+/m);
    await restoreAgent("node3");
  });

  it("bad peers: a node's record with the subnet's broadcast address, or localhost as its endpoint, is never a neighbour", async () => {
    const record = await ownRecord("node4");
    for (const change of [{ meshAddress: "10.0.0.255" }, { endpoint: { address: "localhost", port: 655 } }, { meshAddress: "192.0.2.14" }]) {
      await forgeOwnRecord("node4", record, change);
      await sleep(3000);
      for (const h of ["node1", "node2"]) {
        expect(await sshOk(lab, h, "cat /etc/bird/peers.d/peers.conf /etc/tinc/bgpmesh/tinc.conf")).not.toMatch(/peer_node4|ConnectTo = node4|10\.0\.0\.255|192\.0\.2\.14/);
      }
      expect(await sessions("node1")).toEqual(expect.arrayContaining([expect.stringMatching(/^peer_node2 /), expect.stringMatching(/^peer_node3 /)]));
      await asNode("node4", "del /peers/node4");
    }
    await restoreAgent("node4");
  });

  it("hijack: routes a node announces beyond its allocation (a default route, another's prefix, a more specific) are filtered everywhere, and counted", async () => {
    await sshOk(
      lab,
      "node4",
      "sed -i '/^protocol static bgpmesh_static {/,/^}/ s|^  ipv4;$|  ipv4;\\n  route 0.0.0.0/0 blackhole;\\n  route 198.51.100.0/26 blackhole;\\n  route 198.51.100.0/27 blackhole;|' /etc/bird/bird.conf && birdc configure",
    );
    await sleep(5000);
    for (const h of ["node1", "node2", "node3"]) {
      const r = await routes(h);
      expect(r).not.toMatch(/^default /m);
      expect(r).not.toContain("198.51.100.0/27");
      expect(r.split("\n").filter((l) => l.startsWith(`${NODE3_PREFIX} `)).every((l) => h === "node3" || l.includes(`via ${ADDRESS.node3} `))).toBe(true);
      expect(r).toContain(`${NODE4_PREFIX} via ${ADDRESS.node4} `);
    }
    // node4's session stays, its bogus routes are kept aside as filtered and counted.
    expect(await sshOk(lab, "node1", "birdc -r show protocols all peer_node4")).toMatch(/Routes:\s+1 imported, 3 filtered/);
    // The agent's metrics say it too (refreshed every 5 s).
    let counted = NaN;
    for (let i = 0; i < 20 && counted !== 3; i++) {
      await sleep(500);
      counted = Number(/^bgpmesh_bgp_routes_filtered\{peer="peer_node4"\} (\d+)/m.exec(await sshOk(lab, "node1", "curl -s http://127.0.0.1:2112/metrics"))?.[1]);
    }
    expect(counted).toBe(3);
    const filtered = await sshOk(lab, "node1", "birdc -r show route filtered protocol peer_node4");
    for (const p of ["0.0.0.0/0", NODE3_PREFIX, "198.51.100.0/27"]) expect(filtered).toContain(p);
    // verify: every victim's row is whole; only the attacker's own kernel lost node3's prefix (its
    // static copy of it wins there), and that is the one problem reported.
    const v = await tool("verify", "-i", inventory());
    for (const h of ["node1", "node2", "node3"]) expect(v.stdout).toMatch(new RegExp(`^${h}\\s+(?:(?:-|BPR)\\s+){4}$`, "m"));
    expect(v.stdout.split("\n").filter((l) => /^\s+node\d: /.test(l))).toEqual(["  node4: routes announced by node3 are not in the kernel via node3"]);
    await toolOk("apply", "-i", inventory(), "-l", "node4");
    let stats = "";
    for (let i = 0; i < 20 && !/Routes:\s+1 imported, 0 filtered/.test(stats); i++) {
      await sleep(500);
      stats = await sshOk(lab, "node1", "birdc -r show protocols all peer_node4");
    }
    expect(stats).toMatch(/Routes:\s+1 imported, 0 filtered/);
  });

  it("hijack over IPv6: another's IPv6 prefix, a more specific of it and a default route announced by node4 are filtered everywhere, and counted", async () => {
    await sshOk(
      lab,
      "node4",
      `sed -i '/^protocol static bgpmesh_static6 {/,/^}/ s|^  ipv6;$|  ipv6;\\n  route ::/0 blackhole;\\n  route ${NODE3_PREFIX6} blackhole;\\n  route 2001:db8:300::/56 blackhole;|' /etc/bird/bird.conf && birdc configure`,
    );
    await sleep(5000);
    for (const h of ["node1", "node2", "node3"]) {
      const r = await routes6(h);
      expect(r).not.toMatch(/^default /m);
      expect(r).not.toContain("2001:db8:300::/56");
      if (h !== "node3") expect(r).toContain(`${NODE3_PREFIX6} via ${ADDRESS6.node3} dev tinc0`);
      // The IPv4 routes are untouched.
      expect(await routes(h)).toContain(`${NODE4_PREFIX} via ${ADDRESS.node4} `);
    }
    expect(await sshOk(lab, "node1", "birdc -r show protocols all peer6_node4")).toMatch(/Routes:\s+0 imported, 3 filtered/);
    const filtered = await sshOk(lab, "node1", "birdc -r show route filtered protocol peer6_node4");
    for (const p of ["::/0", NODE3_PREFIX6, "2001:db8:300::/56"]) expect(filtered).toContain(p);
    // verify: only the attacker's own kernel lost node3's IPv6 prefix (its static copy wins there).
    const v = await tool("verify", "-i", inventory());
    expect(v.stdout.split("\n").filter((l) => /^\s+node\d: /.test(l))).toEqual(["  node4: IPv6 routes announced by node3 are not in the kernel via node3"]);
    await toolOk("apply", "-i", inventory(), "-l", "node4");
    let stats = "";
    for (let i = 0; i < 20 && !/Routes:\s+0 imported, 0 filtered/.test(stats); i++) {
      await sleep(500);
      stats = await sshOk(lab, "node1", "birdc -r show protocols all peer6_node4");
    }
    expect(stats).toMatch(/Routes:\s+0 imported, 0 filtered/);
  });

  it("a prefix allowed later: filtered until the inventory allows it, then imported by every node with no session reset", async () => {
    const LATER = "203.0.113.16/28";
    await sshOk(lab, "node4", `sed -i '/^protocol static bgpmesh_static {/,/^}/ s|^  ipv4;$|  ipv4;\\n  route ${LATER} blackhole;|' /etc/bird/bird.conf && birdc configure`);
    await sleep(3000);
    expect(await routes("node1")).not.toContain(LATER);
    const before = await sessions("node1");
    // Only the allocation changes: the first etcd member publishes it (node4's hand-made route stays).
    await toolOk("apply", "-i", inventory(undefined, `, bgp_allowed_prefixes: ['${LATER}']`), "-l", "node1");
    for (const h of ["node1", "node2", "node3"]) expect(await routeVia(h, LATER, ADDRESS.node4!)).toContain(`${LATER} via ${ADDRESS.node4} `);
    // The same sessions, up since the same time: the new filter came by `birdc configure` alone.
    expectSameSessions(await sessions("node1"), before);
    await toolOk("apply", "-i", inventory());
  });

  it("a node given a new prefix: one limited apply and every node imports it; the etcd member pulled in runs only its duty", async () => {
    const out = await toolOk("apply", "-i", inventory([NODE3_PREFIX, NODE3_MORE]), "-l", "node3", "--json", join(work, "limited.json"));
    expect(out).toContain("node1: also in this run: it keeps etcd's users");
    const report = JSON.parse(readFileSync(join(work, "limited.json"), "utf8")) as { hosts: { host: string; applied: string[] }[] };
    const node1 = report.hosts.find((h) => h.host === "node1")!;
    expect(node1.applied.length).toBeGreaterThan(0);
    expect(node1.applied.filter((a) => !/etcd-auth\.sh|etcd users/.test(a))).toEqual([]);
    for (const h of ["node1", "node2", "node4"]) expect(await routeVia(h, NODE3_MORE, ADDRESS.node3!)).toContain(`${NODE3_MORE} via ${ADDRESS.node3} `);
    await toolOk("verify", "-i", inventory([NODE3_PREFIX, NODE3_MORE]), "--wait", "60s");
  });

  it("etcd's users and allocations changed by hand with the root certificate: the etcd member's next apply finds it and puts them back", async () => {
    const root = (args: string) =>
      sshOk(lab, "node1", `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/bgpmesh/pki/ca.crt --cert=/etc/bgpmesh/pki/root.crt --key=/etc/bgpmesh/pki/root.key ${args}`);
    const node4 = (await root("get /allocations/node4 --print-value-only")).trim();
    await root("user add intruder --no-password");
    await root(`put /allocations/node4 '${JSON.stringify({ ...JSON.parse(node4), prefixes: ["0.0.0.0/0"] })}'`);
    await root("put /allocations/ghost '{}'");
    const file = join(work, "put-back.json");
    await toolOk("apply", "-i", inventory([NODE3_PREFIX, NODE3_MORE]), "-l", "node1", "--json", file);
    const report = JSON.parse(readFileSync(file, "utf8")) as { hosts: { host: string; applied: string[] }[] };
    expect(report.hosts.find((h) => h.host === "node1")!.applied).toEqual(["run command etcd users and rights as the inventory says", "handler configure etcd users"]);
    expect((await root("user list")).trim().split("\n")).toEqual(["node1", "node2", "node3", "node4", "root"]);
    expect((await root("get /allocations/node4 --print-value-only")).trim()).toBe(node4);
    expect((await root("get /allocations/ --prefix --keys-only")).split("\n").filter(Boolean)).toEqual(["/allocations/node1", "/allocations/node2", "/allocations/node3", "/allocations/node4"]);
    const again = await toolOk("apply", "-i", inventory([NODE3_PREFIX, NODE3_MORE]), "-l", "node1");
    expect(again).toMatch(/node1\s+ok=\d+\s+changed=0/);
  });

  it("the inventory refuses a default route without bgp_allow_default, naming file:line, and touches no host", async () => {
    const mtime = await sshOk(lab, "node4", "stat -c %Y /etc/bird/bird.conf");
    const r = await tool("apply", "-i", inventory(undefined, ", bgp_allow_default: false, bgp_allowed_prefixes: ['0.0.0.0/0']"));
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/inventory\.yml:\d+:\d+: bgp_allowed_prefixes: node4: .*default route: set bgp_allow_default: true on node4/);
    expect(await sshOk(lab, "node4", "stat -c %Y /etc/bird/bird.conf")).toBe(mtime);
  });
});
