// The shipped etcd-join.sh, rendered for a 3-member cluster and run against a stand-in etcdctl that
// prints a given `member list` and logs every call: which members it removes and adds again.
// The case that matters most: a member that starts last in a bootstrap finds the others already
// answering, and must join them as it is, not remove itself (that left the cluster "unhealthy" and
// the member out of it).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject } from "../../../src/roles/index.js";
import { run } from "../../../src/util/exec.js";
import { writeTree } from "../inventory/helpers.js";

// The other members' client port: a real listener (the script asks only when one takes a connection).
let clients: Server;
let clientPort: number;
const PEER = (n: number) => `https://127.0.0.${n}:2380`;
const CLIENT = (n: number) => `https://127.0.0.${n}:${clientPort}`;

let dir: string;
let script: string;

async function renderJoin(work: string): Promise<string> {
  const inv = `all:
  vars:
    etcd_data_dir: ${work}/data
    etcd_join_file: ${work}/etcd-join
    etcd_client_port: ${clientPort}
  children:
    etcd:
      hosts:
        n1: { ansible_host: 192.0.2.1 }
        n2: { ansible_host: 192.0.2.2 }
        n3: { ansible_host: 192.0.2.3 }
    mesh:
      hosts:
        n1:
`;
  const tree = await writeTree({ "site.yml": "- hosts: etcd\n  roles: [pki, etcd]\n", "inventory.yml": inv });
  const project = await loadProject(`${tree}/site.yml`);
  const host = desiredState(project, await loadInventory(`${tree}/inventory.yml`), "n1");
  const r = host.resources.find((x) => x.kind === "file" && x.path === "/usr/local/lib/bgpmesh/etcd-join.sh");
  if (!r || r.kind !== "file") throw new Error("no etcd-join.sh in the etcd role");
  // Moved onto loopback, where the test's listener is (the inventory rightly refuses loopback for a mesh host).
  return String(r.content).replaceAll("192.0.2.", "127.0.0.");
}

beforeEach(async () => {
  clients = createServer((c) => c.destroy());
  await new Promise<void>((res) => clients.listen(0, "0.0.0.0", res));
  clientPort = (clients.address() as AddressInfo).port;
  dir = await writeTree({});
  mkdirSync(join(dir, "bin"));
  // The stand-in: `member list` prints $LIST (or fails when it is "down"); every call is logged.
  const etcdctl = join(dir, "bin", "etcdctl");
  writeFileSync(
    etcdctl,
    `#!/bin/sh
for a in "$@"; do case "$a" in --*) ;; *) set -- "$@" "$a" ;; esac; shift; done
echo "$*" >> "${dir}/calls"
case "$1 $2" in
"member list") [ "$LIST" = down ] && exit 1; printf '%s\\n' "$LIST" ;;
"member add") printf 'Member 1 added\\nETCD_NAME="n1"\\nETCD_INITIAL_CLUSTER="n1=${PEER(1)},n2=${PEER(2)},n3=${PEER(3)}"\\nETCD_INITIAL_CLUSTER_STATE="existing"\\n' ;;
esac
`,
  );
  chmodSync(etcdctl, 0o755);
  script = join(dir, "etcd-join.sh");
  writeFileSync(script, await renderJoin(dir));
  chmodSync(script, 0o755);
});

afterEach(() => new Promise<void>((res) => clients.close(() => res())));

async function joinSh(arg: "check" | "apply", list: string): Promise<{ code: number; calls: string[]; stderr: string }> {
  const env = { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, LIST: list };
  const { code, stderr } = await run(script, [arg], { env, allowFailure: true });
  const calls = existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : [];
  return { code, calls, stderr };
}

// As etcdctl 3.4 and 3.5 print them: a member of a static bootstrap that has not started yet has its
// name (so etcdctl says "started") and no client URLs; one added by `member add` has neither.
const line = (id: string, n: number, state: "running" | "bootstrap, not started" | "added, not started") =>
  ({
    running: `${id}, started, n${n}, ${PEER(n)}, ${CLIENT(n)}, false`,
    "bootstrap, not started": `${id}, started, n${n}, ${PEER(n)}, , false`,
    "added, not started": `${id}, unstarted, , ${PEER(n)}, , false`,
  })[state];
const othersUp = (self: string | undefined) => [self, line("b2", 2, "running"), line("c3", 3, "running")].filter(Boolean).join("\n");

describe("etcd-join.sh (etcd role)", () => {
  it.each(["bootstrap, not started", "added, not started"] as const)(
    "a member that has never started (%s: the last of a bootstrap, or added by an earlier run) has nothing to do: check passes, apply removes and adds nothing",
    async (state) => {
      const list = othersUp(line("a1", 1, state));
      expect((await joinSh("check", list)).code).toBe(0);
      const r = await joinSh("apply", list);
      expect(r.code).toBe(0);
      expect(r.calls.filter((c) => !c.startsWith("member list"))).toEqual([]);
      expect(existsSync(join(dir, "etcd-join"))).toBe(false);
    },
  );

  it("a member that started before and lost its data is removed and added again, with the join settings written", async () => {
    const list = othersUp(line("a1", 1, "running"));
    expect((await joinSh("check", list)).code).toBe(1);
    const r = await joinSh("apply", list);
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => !c.startsWith("member list"))).toEqual(["member remove a1", `member add n1`]);
    expect(readFileSync(join(dir, "etcd-join"), "utf8")).toBe(
      `ETCD_INITIAL_CLUSTER="n1=${PEER(1)},n2=${PEER(2)},n3=${PEER(3)}"\nETCD_INITIAL_CLUSTER_STATE="existing"\n`,
    );
  });

  it("a member the cluster no longer lists is added, nothing removed", async () => {
    const list = othersUp(undefined);
    expect((await joinSh("check", list)).code).toBe(1);
    const r = await joinSh("apply", list);
    expect(r.calls.filter((c) => !c.startsWith("member list"))).toEqual(["member add n1"]);
  });

  it("when no other member answers, the member bootstraps: a join file left from an earlier cluster fails check and apply removes it", async () => {
    expect((await joinSh("check", "down")).code).toBe(0);
    writeFileSync(join(dir, "etcd-join"), 'ETCD_INITIAL_CLUSTER_STATE="existing"\n');
    expect((await joinSh("check", "down")).code).toBe(1);
    expect((await joinSh("apply", "down")).code).toBe(0);
    expect(existsSync(join(dir, "etcd-join"))).toBe(false);
  });

  it.each(["listens on its client port", "answers there (one listens, and waits for a quorum)"] as const)(
    "while no other member %s (a cluster being bootstrapped), no one is asked: etcdctl would wait out its 5 s timeout",
    async (how) => {
      await new Promise<void>((res) => clients.close(() => res()));
      const held: Socket[] = [];
      // A started member without a quorum: the connection is taken, and nothing is read or said.
      if (how.startsWith("answers")) {
        clients = createServer((c) => held.push(c));
        await new Promise<void>((res) => clients.listen(clientPort, "0.0.0.0", res));
      }
      const started = performance.now();
      expect((await joinSh("check", othersUp(line("a1", 1, "running")))).code).toBe(0);
      // The two others are asked at once: a silent pair costs 1 s, not 1 s each.
      if (how.startsWith("answers")) expect(performance.now() - started).toBeLessThan(1800);
      const r = await joinSh("apply", othersUp(line("a1", 1, "running")));
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([]);
      expect(r.stderr).toContain("no other etcd member answers");
      for (const c of held) c.destroy();
      if (!how.startsWith("answers")) clients = createServer();
    },
    // Silent members cost each of the two calls 1 s.
    20_000,
  );

  it("a member with its write-ahead log asks no one", async () => {
    mkdirSync(join(dir, "data", "member", "wal"), { recursive: true });
    writeFileSync(join(dir, "data", "member", "wal", "0.wal"), "");
    expect((await joinSh("check", othersUp(line("a1", 1, "running")))).code).toBe(0);
    expect((await joinSh("apply", othersUp(line("a1", 1, "running")))).calls).toEqual([]);
  });
});
