import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { inventoryCommand } from "../../../src/commands/inventory.js";
import { REDACTED } from "../../../src/inventory/index.js";
import { BASIC, BASIC_ENV, writeTree } from "./helpers.js";

const LITERALS = ["s3cr3t-INLINE-value", "bgp-ENV-SECRET-456", "tok-FILE-SECRET-123"];

async function run(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const cmd = inventoryCommand({ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  await cmd.parseAsync(args, { from: "user" });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}

describe("inventory command", () => {
  beforeEach(() => {
    vi.stubEnv("BGPMESH_TEST_BGP_PASSWORD", BASIC_ENV.BGPMESH_TEST_BGP_PASSWORD);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("--list prints groups and host variables like ansible-inventory, secrets masked", async () => {
    const { stdout, stderr, exitCode } = await run("-i", BASIC, "--list");
    expect(stderr).toBe("");
    expect(exitCode).toBeUndefined();
    const list = JSON.parse(stdout);
    expect(list.all).toEqual({ children: ["ungrouped", "mesh", "edge"] });
    expect(list.ungrouped).toEqual({ hosts: ["lonely"] });
    expect(list.mesh).toEqual({ hosts: ["node1", "node2", "node3"], children: ["etcd", "bgp"] });
    expect(list.edge).toEqual({ children: ["bgp"] });
    expect(list._meta.hostvars.node2).toMatchObject({
      level: "etcd-inline",
      tinc_key: REDACTED,
      bgp_password: REDACTED,
      etcd_token: REDACTED,
    });
    for (const literal of LITERALS) expect(stdout).not.toContain(literal);
  });

  it("--host prints one host's variables as YAML, each with where it was set", async () => {
    const { stdout, exitCode } = await run("-i", BASIC, "--host", "node2", "-e", "mtu=1280");
    expect(exitCode).toBeUndefined();
    const dir = "test/fixtures/inventory/basic";
    expect(stdout.split("\n").slice(0, 9)).toEqual([
      "# host node2 (groups: all, edge, mesh, bgp, etcd)",
      "",
      `# from ${BASIC}:4:5 (group all)`,
      "ansible_user: admin",
      `# from ${BASIC}:34:13 (group bgp)`,
      `bgp_password: ${REDACTED}`,
      `# from ${BASIC}:39:13 (group bgp)`,
      "edge_note: bgp is also a child of edge",
      `# from ${dir}/group_vars/etcd.yml:1:1 (group etcd)`,
    ]);
    expect(stdout).toContain(`# from command line -e #1 (extra vars)\nmtu: 1280\n`);
    expect(parse(stdout)).toMatchObject({ tinc_key: REDACTED, etcd_token: REDACTED, level: "etcd-inline", mtu: 1280 });
    for (const literal of LITERALS) expect(stdout).not.toContain(literal);
  });

  it("prints just the message and sets exit code 1 on bad input", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n      ansible_port: abc\n" });
    const { stdout, stderr, exitCode } = await run("-i", `${dir}/inventory.yml`, "--list");
    expect(stdout).toBe("");
    expect(stderr).toBe(`${dir}/inventory.yml:4:21: all.hosts.h1.ansible_port: expected an integer from 1 to 65535, got "abc"\n`);
    expect(exitCode).toBe(1);
  });

  it("reports an unknown --host and a bad -e the same way", async () => {
    expect(await run("-i", BASIC, "--host", "node9")).toMatchObject({ stderr: `${BASIC}: unknown host 'node9'\n`, exitCode: 1 });
    expect(await run("-i", BASIC, "-e", "ansible_become=perhaps", "--list")).toMatchObject({
      stderr: 'command line -e #1: ansible_become: expected true or false, got "perhaps"\n',
      exitCode: 1,
    });
  });

  it("never prints a secret, even when the error is about the secret's variable", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n      ansible_user: !env BGPMESH_TEST_BGP_PASSWORD\n" });
    const { stderr, exitCode } = await run("-i", `${dir}/inventory.yml`, "--list");
    expect(stderr).toBe(`${dir}/inventory.yml:4:26: all.hosts.h1.ansible_user: expected a user name, got ${REDACTED}\n`);
    expect(stderr).not.toContain(BASIC_ENV.BGPMESH_TEST_BGP_PASSWORD);
    expect(exitCode).toBe(1);
  });
});
