import { homedir } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventory, parseExtraVars, resolveHostVars, varValues } from "../../../src/inventory/index.js";
import { BASIC, BASIC_ENV, FIXTURES, writeTree } from "./helpers.js";

const G = `${FIXTURES}/basic/group_vars`;
const H = `${FIXTURES}/basic/host_vars`;

describe("variable precedence", () => {
  it("host file > host inline > child group > parent group > all, each value with its origin", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const r = resolveHostVars(inv, "node1");
    expect(r.vars.get("level")).toEqual({
      value: "node1-file",
      origin: { file: `${H}/node1.yml`, line: 1, column: 1, level: "host" },
    });
    expect(r.vars.get("ansible_host")?.origin).toEqual({ file: BASIC, line: 17, column: 11, level: "host" });
    expect(r.vars.get("ansible_user")?.origin).toEqual({ file: BASIC, line: 4, column: 5, level: "group", group: "all" });

    // Without host vars, the deepest group wins: etcd (depth 2) over mesh (1) over all (0).
    const node2 = varValues(resolveHostVars(inv, "node2"));
    expect(node2["ansible_user"]).toBe("admin");
    expect(resolveHostVars(inv, "lonely").vars.get("level")?.value).toBe("all-inline");
    expect(resolveHostVars(inv, "node3").vars.get("level")?.value).toBe("mesh-inline");
  });

  it("between groups at the same depth, the later name in the alphabet wins", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    // node2 is in bgp and etcd, both at depth 2: "etcd" sorts after "bgp".
    expect(resolveHostVars(inv, "node2").vars.get("level")).toEqual({
      value: "etcd-inline",
      origin: { file: BASIC, line: 28, column: 13, level: "group", group: "etcd" },
    });
  });

  it("group_vars files beat inline group vars, and folder files apply in name order", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const r = resolveHostVars(inv, "node3");
    expect(r.vars.get("only_all")).toEqual({
      value: "all-file",
      origin: { file: `${G}/all.yml`, line: 1, column: 1, level: "group", group: "all" },
    });
    expect(r.vars.get("mtu")).toEqual({
      value: 1500,
      origin: { file: `${G}/mesh/20-second.yml`, line: 2, column: 1, level: "group", group: "mesh" },
    });
  });

  it("ignores hidden files in group_vars", async () => {
    const dir = await writeTree({
      "inv.yml": "all:\n  hosts:\n    h1:\n",
      "group_vars/.all.yml.swp": "not: [yaml",
      "group_vars/all/.hidden.yml": "x: hidden\n",
      "group_vars/all/main.yml": "x: shown\n",
    });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect(varValues(resolveHostVars(inv, "h1"))).toEqual({ x: "shown" });
  });

  it("extra vars beat everything; role defaults lose to everything", async () => {
    const extraVars = parseExtraVars(["level=from-cli", "ansible_port=2200", "flag=yes"]);
    const inv = await loadInventory(BASIC, { env: BASIC_ENV, extraVars });
    const r = resolveHostVars(inv, "node1", { level: "role", role_only: "kept", mtu: 9000 });
    expect(r.vars.get("level")).toEqual({
      value: "from-cli",
      origin: { file: "command line -e #1", line: 0, column: 0, level: "extra" },
    });
    expect(varValues(r)).toMatchObject({ ansible_port: 2200, flag: true, role_only: "kept", mtu: 1500 });
    expect(r.vars.get("role_only")?.origin.level).toBe("role_default");
  });

  it("replaces maps and lists whole instead of merging them", async () => {
    const dir = await writeTree({
      "inv.yml": "all:\n  vars:\n    peers: {a: 1, b: 2}\n  hosts:\n    h1:\n      peers: {c: 3}\n",
    });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect(resolveHostVars(inv, "h1").vars.get("peers")?.value).toEqual({ c: 3 });
  });

  it("merges a host's inline vars from several groups, the later one in the file winning", async () => {
    const dir = await writeTree({
      "inv.yml": "a:\n  hosts:\n    h1: {x: first, y: only-a}\nb:\n  hosts:\n    h1: {x: second}\n",
    });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect(varValues(resolveHostVars(inv, "h1"))).toEqual({ x: "second", y: "only-a" });
  });

  it("resolves key and known_hosts paths against the inventory directory, ~ against home", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const r = varValues(resolveHostVars(inv, "node3"));
    expect(r["ansible_ssh_private_key_file"]).toBe(resolve(`${FIXTURES}/basic/keys/node3`));
    expect(r["bgpmesh_known_hosts"]).toBe(resolve(homedir(), "known_hosts"));
  });

  it("reads YAML as Ansible does (1.1 booleans), but keeps dates and times as text", async () => {
    const dir = await writeTree({ "inv.yml": "all:\n  hosts:\n    h1:\n      a: yes\n      b: off\n      c: 2024-01-02\n      d: 1:20\n" });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect(varValues(resolveHostVars(inv, "h1"))).toEqual({ a: true, b: false, c: "2024-01-02", d: "1:20" });
  });
});
