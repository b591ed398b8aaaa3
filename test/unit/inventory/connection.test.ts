import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionOf, loadInventory, parseExtraVars, resolveHostVars } from "../../../src/inventory/index.js";
import { BASIC, BASIC_ENV, FIXTURES, inventoryError, writeTree } from "./helpers.js";

describe("connectionOf", () => {
  it("applies defaults and the host's variables", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    expect(connectionOf(resolveHostVars(inv, "lonely"))).toEqual({ host: "lonely", port: 22, user: "admin", become: false });
    expect(connectionOf(resolveHostVars(inv, "node1"))).toEqual({ host: "10.0.0.1", port: 22, user: "admin", become: false });
    expect(connectionOf(resolveHostVars(inv, "node3"))).toMatchObject({
      host: "node3",
      port: 2222,
      privateKeyFile: resolve(`${FIXTURES}/basic/keys/node3`),
    });
  });

  it("defaults to root on port 22 with no become", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n" });
    const inv = await loadInventory(`${dir}/inventory.yml`);
    expect(connectionOf(resolveHostVars(inv, "h1"))).toEqual({ host: "h1", port: 22, user: "root", become: false });
  });

  it("reports a bad value from role defaults at the place it was defined", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n" });
    const inv = await loadInventory(`${dir}/inventory.yml`);
    const resolved = resolveHostVars(inv, "h1");
    resolved.vars.set("ansible_become", {
      value: "sure",
      origin: { file: "roles/x/defaults/main.yml", line: 3, column: 17, level: "role_default" },
    });
    const err = await inventoryError(() => connectionOf(resolved));
    expect(err.message).toBe('roles/x/defaults/main.yml:3:17: ansible_become: expected true or false, got "sure"');
    expect(err.host).toBe("h1");
  });
});

describe("parseExtraVars", () => {
  it("reads key=value as YAML scalars, later arguments winning", () => {
    const vars = parseExtraVars(["port=2222", "on=true", "name=node 1", "empty=", "motd=Note: be kind", "port=2200"]);
    expect(Object.fromEntries([...vars].map(([k, d]) => [k, d.value]))).toEqual({
      port: 2200,
      on: true,
      name: "node 1",
      empty: "",
      motd: "Note: be kind",
    });
    expect(vars.get("port")?.origin).toEqual({ file: "command line -e #6", line: 0, column: 0, level: "extra" });
  });

  it("reads @file.yml with positions and {k: v} maps", async () => {
    const dir = await writeTree({ "extra.yml": "# extra\nmtu: 1300\nansible_ssh_private_key_file: k/id\n" });
    const vars = parseExtraVars([`@${dir}/extra.yml`, "{a: 1, b: [x]}"]);
    expect(vars.get("mtu")).toEqual({ value: 1300, origin: { file: `${dir}/extra.yml`, line: 2, column: 1, level: "extra" } });
    expect(vars.get("ansible_ssh_private_key_file")?.value).toBe(`${dir}/k/id`);
    expect(vars.get("b")?.value).toEqual(["x"]);
  });

  it("rejects bad arguments with the argument's position", async () => {
    expect((await inventoryError(() => parseExtraVars(["a=1", "novalue"]))).message).toBe(
      "command line -e #2: expected key=value, @file.yml or a {key: value} map",
    );
    expect((await inventoryError(() => parseExtraVars(["ansible_port=ssh"]))).message).toBe(
      'command line -e #1: ansible_port: expected an integer from 1 to 65535, got "ssh"',
    );
    expect((await inventoryError(() => parseExtraVars(["ansible_pass=x"]))).message).toBe(
      "command line -e #1: ansible_pass: unsupported connection variable ansible_pass",
    );
    expect((await inventoryError(() => parseExtraVars(["@missing-extra.yml"]))).message).toBe("missing-extra.yml: no such file (-e @file)");
    const dir = await writeTree({});
    await writeFile(`${dir}/e.yml`, "a: 1\nansible_user: [x]\n");
    expect((await inventoryError(() => parseExtraVars([`@${dir}/e.yml`]), dir)).shown).toBe(
      "e.yml:2:15: ansible_user: expected a user name, got a list",
    );
  });
});
