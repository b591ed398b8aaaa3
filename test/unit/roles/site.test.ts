import { describe, expect, it } from "vitest";
import type { FileResource } from "../../../src/resources/file.js";
import { desiredState, firstPlayOf, rolesOfHost } from "../../../src/roles/index.js";
import { failure, setup } from "./helpers.js";

const INVENTORY = `all:
  hosts:
    solo:
  children:
    mesh:
      hosts:
        n1:
        n2:
      children:
        etcd:
          hosts:
            n1:
`;
const roleFiles = (names: string[]) => Object.fromEntries(names.map((n) => [`roles/${n}/role.yml`, `defaults:\n  ${n}_default: from-${n}\n`]));

describe("plays", () => {
  it("match a group (with its child groups), a host, all, a list or a comma pattern; each role once, in play order", async () => {
    const site = [
      "- hosts: mesh",
      "  roles: [base, tinc]",
      "- hosts: [etcd, solo]",
      "  roles: [etcd, base]",
      "- name: every host",
      "  hosts: all",
      "  roles: [agent]",
      "- hosts: n2,solo",
      "  roles: [extra]",
      "- hosts: nobody_here",
      "  roles: []",
      "",
    ].join("\n");
    const inventory = `${INVENTORY}    nobody_here:\n      hosts: {}\n`;
    const { project, inv } = await setup({ "site.yml": site, ...roleFiles(["base", "tinc", "etcd", "agent", "extra"]) }, inventory);
    expect(rolesOfHost(project, inv, "n1")).toEqual(["base", "tinc", "etcd", "agent"]);
    expect(rolesOfHost(project, inv, "n2")).toEqual(["base", "tinc", "agent", "extra"]);
    expect(rolesOfHost(project, inv, "solo")).toEqual(["etcd", "base", "agent", "extra"]);
    expect(desiredState(project, inv, "solo").roles).toEqual(["etcd", "base", "agent", "extra"]);
  });

  it("an apply starts a host at the first play that names it: the etcd members before the other mesh hosts", async () => {
    const site = ["- hosts: etcd", "  roles: [etcd]", "- hosts: mesh", "  roles: [tinc]", "- hosts: pull", "  optional: true", "  roles: [extra]", ""].join("\n");
    const { project, inv } = await setup({ "site.yml": site, ...roleFiles(["etcd", "tinc", "extra"]) }, INVENTORY);
    expect(["n1", "n2", "solo"].map((h) => firstPlayOf(project, inv, h))).toEqual([0, 1, 3]);
  });
});

describe("hostvars and groups", () => {
  it("give every inventory host's values, each with the defaults of its own roles", async () => {
    const files = {
      "site.yml": "- hosts: etcd\n  roles: [etcd]\n- hosts: solo\n  roles: [show]\n",
      "roles/etcd/role.yml": "defaults:\n  etcd_port: 2379\n",
      "roles/show/role.yml": "resources:\n  - template: { src: show.njk, dest: /show }\n",
      "templates/show.njk":
        "{{ hostvars.n1.etcd_port }} {{ hostvars.n2.etcd_port is defined }} {{ etcd_port is defined }} " +
        "{{ groups.mesh | join(',') }} {{ groups.etcd | join(',') }} {{ groups.all | join(',') }} {{ groups.ungrouped | join(',') }}",
    };
    const { project, inv } = await setup(files, INVENTORY);
    const [show] = desiredState(project, inv, "solo").resources as FileResource[];
    expect(show?.content).toBe("2379 false false n1,n2 n1 solo,n1,n2 solo");
  });
});

describe("handlers across roles", () => {
  it("the same handler in two roles of a host is listed once; with different commands it is an error", async () => {
    const site = "- hosts: all\n  roles: [a, b]\n";
    const same = { "roles/a/role.yml": "handlers:\n  reload x: { service: x, action: reload }\n", "roles/b/role.yml": "handlers:\n  reload x: { service: x, action: reload }\n" };
    const ok = await setup({ "site.yml": site, ...same }, INVENTORY);
    expect(desiredState(ok.project, ok.inv, "n1").handlers).toEqual([{ name: "reload x", run: "systemctl reload x", origin: { where: "roles/a/role.yml:2" } }]);

    const clash = await setup({ "site.yml": site, ...same, "roles/b/role.yml": "handlers:\n  reload x: { command: x-reload }\n" }, INVENTORY);
    expect(await failure(() => desiredState(clash.project, clash.inv, "n1"), clash.dir)).toBe(
      "roles/b/role.yml:2:3: handler 'reload x' is also defined at roles/a/role.yml:2 with another command; host n1 has both roles",
    );
  });
});
