import { describe, expect, it } from "vitest";
import { groupsOf, hostsOf, loadInventory } from "../../../src/inventory/index.js";
import { BASIC, BASIC_ENV, writeTree } from "./helpers.js";

describe("inventory structure", () => {
  it("reads hosts and groups of groups in inventory order, with direct membership", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    expect([...inv.hosts.keys()]).toEqual(["lonely", "node1", "node2", "node3"]);
    expect([...inv.groups.keys()]).toEqual(["all", "ungrouped", "mesh", "etcd", "bgp", "edge"]);
    expect(inv.hosts.get("node2")?.groups).toEqual(["mesh", "etcd", "bgp"]);
    expect(inv.groups.get("all")?.children).toEqual(["ungrouped", "mesh", "edge"]);
    expect(inv.groups.get("mesh")?.children).toEqual(["etcd", "bgp"]);
    expect(inv.groups.get("mesh")?.hosts).toEqual(["node1", "node2", "node3"]);
  });

  it("treats a group named under two parents as one group with two parents", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const bgp = inv.groups.get("bgp");
    expect(bgp?.parents).toEqual(["mesh", "edge"]);
    expect(bgp?.depth).toBe(2);
    // vars from both places merge into the one group
    expect([...(bgp?.vars.keys() ?? [])]).toEqual(["level", "bgp_password", "edge_note"]);
  });

  it("puts hosts that are in no group but all into ungrouped, as Ansible does", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    expect(inv.hosts.get("lonely")?.groups).toEqual(["ungrouped"]);
    expect(inv.groups.get("ungrouped")?.hosts).toEqual(["lonely"]);
    expect(inv.groups.get("all")?.hosts).toEqual([]);
    expect(groupsOf(inv, "lonely")).toEqual(["all", "ungrouped"]);
  });

  it("hostsOf includes hosts of descendant groups", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    expect(hostsOf(inv, "all")).toEqual(["lonely", "node1", "node2", "node3"]);
    expect(hostsOf(inv, "mesh")).toEqual(["node1", "node2", "node3"]);
    expect(hostsOf(inv, "edge")).toEqual(["node2"]); // only through its child bgp
    expect(hostsOf(inv, "etcd")).toEqual(["node1", "node2"]);
    expect(() => hostsOf(inv, "nope")).toThrow(`${BASIC}: unknown group 'nope'`);
  });

  it("groupsOf lists ancestors too, in precedence order: by depth, then by name", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    expect(groupsOf(inv, "node1")).toEqual(["all", "mesh", "etcd"]);
    expect(groupsOf(inv, "node2")).toEqual(["all", "edge", "mesh", "bgp", "etcd"]);
    expect(() => groupsOf(inv, "node9")).toThrow(`${BASIC}: unknown host 'node9'`);
  });

  it("lists every file it read", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const dir = "test/fixtures/inventory/basic";
    expect(inv.sources).toEqual([
      BASIC,
      `${dir}/group_vars/all.yml`,
      `${dir}/group_vars/etcd.yml`,
      `${dir}/group_vars/mesh/10-first.yml`,
      `${dir}/group_vars/mesh/20-second.yml`,
      `${dir}/host_vars/node1.yml`,
      `${dir}/host_vars/node3.yaml`,
    ]);
  });

  it("accepts top-level groups besides all, making them children of all", async () => {
    const dir = await writeTree({ "inv.yml": "web:\n  hosts:\n    w1:\nall:\n  hosts:\n    a1:\n" });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect(inv.groups.get("web")?.parents).toEqual(["all"]);
    expect(hostsOf(inv, "all")).toEqual(["w1", "a1"]);
  });

  it("takes host names as written, so `yes:` or `010:` stay names", async () => {
    const dir = await writeTree({ "inv.yml": "all:\n  hosts:\n    yes:\n    010:\n    node-1.example.org:\n" });
    const inv = await loadInventory(`${dir}/inv.yml`);
    expect([...inv.hosts.keys()]).toEqual(["yes", "010", "node-1.example.org"]);
  });
});
