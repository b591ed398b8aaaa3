import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/inventory/index.js";
import { FIXTURES, inventoryError, writeTree } from "./helpers.js";

/** Loads `inventory.yml` (plus any other files given) from a temp dir; returns the error as the user sees it. */
async function loadError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const dir = await writeTree(files);
  return inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env }), dir);
}

describe("bad input: every error names file:line", () => {
  it("unknown key inside a group", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  children:\n    mesh:\n      host:\n        node1:\n" });
    expect(err.shown).toBe("inventory.yml:4:7: all.children.mesh: unknown key 'host' in group 'mesh' (allowed: hosts, children, vars)");
    expect(err).toMatchObject({ line: 4, column: 7, key: "all.children.mesh" });
  });

  it("wrong type of a connection variable", async () => {
    const port = await loadError({ "inventory.yml": "all:\n  hosts:\n    node1:\n      ansible_port: abc\n" });
    expect(port.shown).toBe('inventory.yml:4:21: all.hosts.node1.ansible_port: expected an integer from 1 to 65535, got "abc"');
    const range = await loadError({ "inventory.yml": "all:\n  hosts:\n    node1:\n      ansible_port: 70000\n" });
    expect(range.shown).toBe("inventory.yml:4:21: all.hosts.node1.ansible_port: expected an integer from 1 to 65535, got 70000");
    const become = await loadError({ "inventory.yml": "all:\n  vars:\n    ansible_become: maybe\n  hosts:\n    h1:\n" });
    expect(become.shown).toBe('inventory.yml:3:21: all.vars.ansible_become: expected true or false, got "maybe"');
    const host = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n      ansible_host: [a, b]\n" });
    expect(host.shown).toBe("inventory.yml:4:21: all.hosts.h1.ansible_host: expected a host name or IP address, got a list");
  });

  it("the path is shown as the user gave it", async () => {
    const err = await inventoryError(() => loadInventory(`${FIXTURES}/bad-port/inventory.yml`));
    expect(err.message).toBe(
      `${FIXTURES}/bad-port/inventory.yml:4:21: all.hosts.node1.ansible_port: expected an integer from 1 to 65535, got "abc"`,
    );
  });

  it("unsupported ansible_ variable", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n      ansible_connection: local\n" });
    expect(err.shown).toBe("inventory.yml:4:7: all.hosts.h1.ansible_connection: unsupported connection variable ansible_connection");
    const hinted = await loadError({ "inventory.yml": "all:\n  vars:\n    ansible_ssh_host: x\n  hosts:\n    h1:\n" });
    expect(hinted.shown).toBe("inventory.yml:3:5: all.vars.ansible_ssh_host: unsupported connection variable ansible_ssh_host (use ansible_host)");
  });

  it("invalid variable, host and group names", async () => {
    const v = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n      tinc-name: x\n" });
    expect(v.shown).toBe("inventory.yml:4:7: all.hosts.h1.tinc-name: invalid variable name 'tinc-name' (letters, digits and _, not starting with a digit)");
    const h = await loadError({ "inventory.yml": "all:\n  hosts:\n    node[1:3]:\n" });
    expect(h.shown).toBe("inventory.yml:3:5: all.hosts: invalid host name 'node[1:3]' (letters, digits, '-', '_' and '.'; ranges like node[1:3] are not supported)");
    const g = await loadError({ "inventory.yml": "all:\n  children:\n    my group:\n" });
    expect(g.shown).toBe("inventory.yml:3:5: all.children: invalid group name 'my group' (letters, digits, '-', '_' and '.')");
  });

  it("duplicate keys: a host twice in one hosts map, a variable twice", async () => {
    const host = await loadError({ "inventory.yml": "all:\n  hosts:\n    node1:\n    node2:\n    node1:\n" });
    expect(host.shown).toBe("inventory.yml:5:5: duplicate key 'node1': a map cannot list the same key twice");
    const commented = await loadError({ "inventory.yml": "all:\n  hosts:\n    node1:\n    # again:\n    node1:\n" });
    expect(commented.shown).toBe("inventory.yml:5:5: duplicate key 'node1': a map cannot list the same key twice");
    const v = await loadError({ "inventory.yml": "all:\n  vars:\n    a: 1\n    a: 2\n  hosts:\n    h1:\n" });
    expect(v.shown).toBe("inventory.yml:4:5: duplicate key 'a': a map cannot list the same key twice");
  });

  it("group_vars for a group the inventory does not define", async () => {
    const err = await loadError({ "inventory.yml": "mesh:\n  hosts:\n    h1:\n", "group_vars/etcd.yml": "x: 1\n" });
    expect(err.shown).toBe("group_vars/etcd.yml: unknown group 'etcd' (the inventory defines: all, ungrouped, mesh)");
  });

  it("host_vars for a host the inventory does not define, also as a folder", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n", "host_vars/h2.yaml": "x: 1\n" });
    expect(err.shown).toBe("host_vars/h2.yaml: unknown host 'h2' (the inventory defines: h1)");
    const folder = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n", "host_vars/h3/main.yml": "x: 1\n" });
    expect(folder.shown).toBe("host_vars/h3/main.yml: unknown host 'h3' (the inventory defines: h1)");
  });

  it("a bad value inside a group_vars file names that file and line", async () => {
    const err = await loadError({
      "inventory.yml": "mesh:\n  hosts:\n    h1:\n",
      "group_vars/mesh/10-ssh.yml": "# ssh\nansible_user: admin\nansible_port: '22'\n",
    });
    expect(err.shown).toBe('group_vars/mesh/10-ssh.yml:3:15: ansible_port: expected an integer from 1 to 65535, got "22"');
  });

  it("a file in group_vars that is not YAML", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  hosts:\n    h1:\n", "group_vars/all.json": "{}" });
    expect(err.shown).toBe("group_vars/all.json: not a .yml or .yaml file (expected <name>.yml, <name>.yaml or a <name>/ folder of .yml files)");
  });

  it("missing inventory file", async () => {
    const err = await inventoryError(() => loadInventory("inventory/does-not-exist.yml"));
    expect(err.message).toBe("inventory/does-not-exist.yml: no such file");
  });

  it("YAML syntax errors give file:line:col and the parser's message", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  hosts:\n    node1:\n   bad: 1\n" });
    expect(err.shown).toBe("inventory.yml:3:11: YAML syntax error: All mapping items must start at the same column");
    const tabs = await loadError({ "inventory.yml": "all:\n\thosts:\n" });
    expect(tabs.shown).toBe("inventory.yml:2:1: YAML syntax error: Tabs are not allowed as indentation");
  });

  it("missing or empty environment variable for !env", async () => {
    const text = "all:\n  hosts:\n    h1:\n      db_password: !env BGPMESH_NOPE\n";
    const missing = await loadError({ "inventory.yml": text });
    expect(missing.shown).toBe("inventory.yml:4:20: environment variable BGPMESH_NOPE is not set (!env BGPMESH_NOPE)");
    const empty = await loadError({ "inventory.yml": text }, { BGPMESH_NOPE: "" });
    expect(empty.shown).toBe("inventory.yml:4:20: environment variable BGPMESH_NOPE is empty (!env BGPMESH_NOPE)");
  });

  it("missing file for !file", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  vars:\n    token: !file secrets/none\n  hosts:\n    h1:\n" });
    expect(err.shown).toBe("inventory.yml:3:12: cannot read secret file secrets/none (ENOENT)");
  });

  it("unsupported tags, such as Ansible Vault", async () => {
    const err = await loadError({ "inventory.yml": "all:\n  vars:\n    pw: !vault |\n      $ANSIBLE_VAULT;1.1\n  hosts:\n    h1:\n" });
    expect(err.shown).toBe("inventory.yml:3:9: unsupported tag !vault (supported: !secret, !env, !file)");
  });

  it("groups that contain each other", async () => {
    const err = await loadError({
      "inventory.yml": "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n          hosts:\n            h1:\n",
    });
    expect(err.shown).toBe("inventory.yml:7:13: groups contain each other in a loop: a → b → a");
  });

  it("shapes that are not an inventory", async () => {
    expect((await loadError({ "inventory.yml": "" })).shown).toBe("inventory.yml: the inventory is empty");
    expect((await loadError({ "inventory.yml": "- all\n" })).shown).toBe(
      "inventory.yml:1:1: expected a map of groups at the top level (normally just all:)",
    );
    expect((await loadError({ "inventory.yml": "all:\n  hosts:\n    - node1\n" })).shown).toBe(
      "inventory.yml:3:5: all.hosts: expected a map of host names, each with its variables or nothing",
    );
    expect((await loadError({ "inventory.yml": "all:\n  children:\n    mesh:\n" })).shown).toBe(
      "inventory.yml: the inventory lists no hosts",
    );
    expect((await loadError({ "inventory.yml": "all:\n  hosts:\n    h1: 5\n" })).shown).toBe(
      "inventory.yml:3:9: all.hosts.h1: expected a map of variable: value",
    );
  });
});
