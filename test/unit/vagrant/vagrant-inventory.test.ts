// inventory/vagrant.yml, the README's inventory for vagrant/Vagrantfile: it must load, derive a
// mesh and list as `inventory --list` shows it, with no VM running.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionOf, hostsOf, loadInventory, resolveHostVars } from "../../../src/inventory/index.js";
import { deriveMeshVars } from "../../../src/mesh/derive.js";
import { runInventory } from "./helpers.js";

const FILE = "inventory/vagrant.yml";
const VAGRANT_DIR = resolve("vagrant");

describe("inventory/vagrant.yml", () => {
  it("has the three VMs in mesh and etcd, reached as vagrant at their private addresses with the project's keys", async () => {
    const inv = await loadInventory(FILE);
    expect(hostsOf(inv, "mesh")).toEqual(["node1", "node2", "node3"]);
    expect(hostsOf(inv, "etcd")).toEqual(["node1", "node2", "node3"]);
    expect(connectionOf(resolveHostVars(inv, "node2"))).toEqual({
      host: "192.168.56.12",
      port: 22,
      user: "vagrant",
      become: true,
      privateKeyFile: join(VAGRANT_DIR, ".vagrant/machines/node2/private_key"),
      knownHostsFile: join(VAGRANT_DIR, "known_hosts"),
    });
  });

  it("derives the mesh: underlay on the private network, a 3-member etcd cluster", async () => {
    const inv = await loadInventory(FILE);
    const resolved = new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h).vars]));
    const derived = deriveMeshVars(inv, resolved);
    expect(derived.get("node3")).toMatchObject({ tinc_address: "192.168.56.13", tinc_name: "node3", etcd_member: true });
    expect(derived.get("node1")!["etcd_initial_cluster"]).toBe(
      "node1=https://192.168.56.11:2380,node2=https://192.168.56.12:2380,node3=https://192.168.56.13:2380",
    );
    const addrs = ["node1", "node2", "node3"].map((h) => derived.get(h)!["mesh_address"]);
    expect(new Set(addrs).size).toBe(3);
  });

  it("lists cleanly with `inventory --list`", async () => {
    const r = await runInventory("-i", FILE, "--list");
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBeUndefined();
    const list = JSON.parse(r.stdout);
    expect(list.mesh).toEqual({ hosts: ["node1", "node2", "node3"] });
    expect(list._meta.hostvars.node1).toMatchObject({ ansible_host: "192.168.56.11", ansible_user: "vagrant" });
  });
});
