import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/inventory/index.js";
import { collectStatus, exitCodeOf, expectedSessions, judgeHost } from "../../../src/status/status.js";
import { parseStatus } from "../../../src/status/probe.js";
import { UnreachableError, type ExecResult, type Session, type Transport } from "../../../src/transport/transport.js";
import { writeTree } from "../inventory/helpers.js";
import { answer, LAST_RUN_FAILED, LAST_RUN_OK, NODE1, SHOW_PROTOCOLS_ALL } from "./fixtures.js";

const INVENTORY = `all:
  hosts:
    bastion: { ansible_host: 192.0.2.2 }
  children:
    mesh:
      hosts:
        node1: { ansible_host: 192.0.2.11 }
        node2: { ansible_host: 192.0.2.12 }
        node3: { ansible_host: 192.0.2.13 }
    etcd:
      hosts:
        node1:
`;

const ALL_UP = `${SHOW_PROTOCOLS_ALL.replace("start  05:14:14.428  Active        Socket: Connection refused", "up     05:14:14.428  Established")}@@exit 0`;

class FakeTransport implements Transport {
  roundTrips = 0;
  closed = false;
  readonly commands: string[] = [];
  constructor(
    readonly host: string,
    private readonly stdout: string,
  ) {}
  async exec(command: string): Promise<ExecResult> {
    this.roundTrips++;
    this.commands.push(command);
    return { code: 0, stdout: this.stdout, stderr: "" };
  }
  start(): Promise<Session> {
    throw new Error("status never leaves a command running");
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe("sessions expected", () => {
  it("are one per other mesh host; hosts outside the mesh expect none", async () => {
    const dir = await writeTree({ "inventory.yml": INVENTORY });
    const expected = expectedSessions(await loadInventory(`${dir}/inventory.yml`));
    expect([...expected]).toEqual([
      ["node1", 2],
      ["node2", 2],
      ["node3", 2],
    ]);
    expect(expected.has("bastion")).toBe(false);
  });

  it("count an IPv6 session with each peer when both hosts have mesh_ipv6", async () => {
    const dual = INVENTORY.replace("node1: { ansible_host: 192.0.2.11 }", "node1: { ansible_host: 192.0.2.11, mesh_ipv6: true }").replace(
      "node2: { ansible_host: 192.0.2.12 }",
      "node2: { ansible_host: 192.0.2.12, mesh_ipv6: true }",
    );
    const dir = await writeTree({ "inventory.yml": dual });
    expect([...expectedSessions(await loadInventory(`${dir}/inventory.yml`))]).toEqual([
      ["node1", 3],
      ["node2", 3],
      ["node3", 2],
    ]);
  });

  it("are none at all in an inventory without a mesh group", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n" });
    expect(expectedSessions(await loadInventory(`${dir}/inventory.yml`)).size).toBe(0);
  });
});

describe("what counts as a problem", () => {
  const probe = (parts: Partial<{ agent: string; bird: string; lastRun: string }>) =>
    parseStatus(answer({ agent: "active\nloaded", bird: ALL_UP, lastRun: LAST_RUN_OK, ...parts }));

  it("nothing on a mesh host with its agent active, every session up and a good last run", () => {
    const s = judgeHost("node1", probe({}), 2);
    expect(s).toMatchObject({ reachable: true, agent: "active", sessions: { established: 2, expected: 2 }, problems: [], ok: true });
    // peer_node2's import filter refused 2 routes: shown, not a problem
    expect(s.sessions).toEqual({ established: 2, expected: 2, filtered: 2 });
    expect(judgeHost("node1", probe({ lastRun: "@@absent" }), 2)).toMatchObject({ lastRun: null, ok: true });
  });

  it("an agent not active, a session down, BIRD down or a failed last run on a mesh host", () => {
    expect(judgeHost("node1", parseStatus(NODE1), 2).problems).toEqual(["sessions 1/2"]);
    expect(judgeHost("node3", probe({ agent: "inactive\nloaded", bird: "@@exit 0" }), 2).problems).toEqual(["agent inactive", "sessions 0/2"]);
    expect(judgeHost("node3", probe({ agent: "inactive\nnot-found" }), 2).problems).toEqual(["agent not installed"]);
    const down = judgeHost("node2", probe({ bird: "Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n@@exit 1" }), 2);
    expect(down).toMatchObject({ sessions: { established: 0, expected: 2, problem: "bird down" }, problems: ["bird down"], ok: false });
    expect(judgeHost("node2", probe({ lastRun: LAST_RUN_FAILED }), 2).problems).toEqual(["last apply FAILED"]);
    expect(judgeHost("node2", probe({ lastRun: "{" }), 2).problems).toEqual(["last-run record unreadable"]);
  });

  it("outside the mesh, only a failed agent or a failed last run: no agent and no BIRD are fine", () => {
    const none = judgeHost("bastion", probe({ agent: "inactive\nnot-found", bird: "sh: birdc: not found\n@@exit 127" }), undefined);
    expect(none).toMatchObject({ agent: null, sessions: null, problems: [], ok: true });
    expect(judgeHost("bastion", probe({ agent: "inactive\nloaded" }), undefined)).toMatchObject({ agent: "inactive", ok: true });
    expect(judgeHost("bastion", probe({ agent: "failed\nloaded" }), undefined).problems).toEqual(["agent failed"]);
    expect(judgeHost("bastion", probe({ lastRun: LAST_RUN_FAILED }), undefined).problems).toEqual(["last apply FAILED"]);
  });

  it("exit code 1 as soon as one host is not ok", () => {
    const good = judgeHost("node1", probe({}), 2);
    expect(exitCodeOf([good, judgeHost("bastion", probe({}), undefined)])).toBe(0);
    expect(exitCodeOf([good, judgeHost("node2", parseStatus(NODE1), 2)])).toBe(1);
    expect(exitCodeOf([])).toBe(0);
  });
});

describe("asking the hosts", () => {
  it("runs one command on each reachable host, closes it, and reports an unreachable one", async () => {
    const transports: FakeTransport[] = [];
    const statuses = await collectStatus({
      hosts: ["node1", "node2"],
      expected: new Map([
        ["node1", 2],
        ["node2", 2],
      ]),
      forks: 4,
      connect: async (h) => {
        if (h === "node2") throw new UnreachableError("node2 (192.0.2.12:22): connection timed out after 5s\nmore detail");
        const t = new FakeTransport(h, answer({ agent: "active\nloaded", bird: ALL_UP, lastRun: LAST_RUN_OK }));
        transports.push(t);
        return t;
      },
    });
    expect(statuses.map((s) => [s.host, s.reachable, s.ok])).toEqual([
      ["node1", true, true],
      ["node2", false, false],
    ]);
    expect(statuses[1]).toMatchObject({ error: "node2 (192.0.2.12:22): connection timed out after 5s", agent: null, sessions: null, lastRun: null, problems: ["unreachable"] });
    expect(transports[0]!.roundTrips).toBe(1);
    expect(transports[0]!.commands[0]).toContain("birdc -r show protocols");
    expect(transports[0]!.closed).toBe(true);
    expect(exitCodeOf(statuses)).toBe(1);
  });

  it("masks secrets in the error, and takes a cut-off answer as a host not asked", async () => {
    const statuses = await collectStatus({
      hosts: ["node1", "node3"],
      expected: new Map(),
      forks: 1,
      connect: async (h) => {
        if (h === "node1") throw new UnreachableError("node1 (hunter2.example:22): connection refused");
        return new FakeTransport(h, "@@status agent\nactive\n");
      },
      redact: (t) => t.split("hunter2").join("********"),
    });
    expect(statuses.map((s) => s.error)).toEqual(["node1 (********.example:22): connection refused", "the status command did not finish"]);
  });
});
