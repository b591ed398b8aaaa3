import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject } from "../../../src/roles/index.js";
import { writeTree } from "../inventory/helpers.js";
import { SMALL_INVENTORY } from "./helpers.js";

// A configuration repository keeps its own roles beside its site.yml and still names the shipped ones.
describe("roles beside the site file, then the shipped roles", () => {
  const files = (extra: Record<string, string> = {}) => ({
    "inventory.yml": SMALL_INVENTORY,
    "site.yml": "- hosts: all\n  roles: [mine, pki, etcd_client]\n",
    "roles/mine/role.yml": "resources:\n  - template: { src: motd.j2, dest: /etc/motd }\n",
    "templates/motd.j2": "hello {{ inventory_hostname }}\n",
    ...extra,
  });

  it("takes a role from the site file's folder and one the tool ships, each with its own templates", async () => {
    const dir = await writeTree(files());
    const project = await loadProject(`${dir}/site.yml`);
    expect(project.roles.get("mine")!.file).toBe(`${dir}/roles/mine/role.yml`);
    expect(project.roles.get("etcd_client")!.file).not.toContain(dir);
    const inv = await loadInventory(`${dir}/inventory.yml`, { extraVars: { etcd_endpoints: "http://192.0.2.1:2379" } });
    const paths = desiredState(project, inv, "a").resources.flatMap((r) => (r.kind === "file" ? [[r.path, r.content]] : []));
    expect(paths).toContainEqual(["/etc/motd", "hello a\n"]);
    expect(paths.map(([p]) => p)).toContain("/etc/bgpmesh/etcd.env");
  });

  it("prefers the site file's folder when both have the role", async () => {
    const dir = await writeTree(files({ "roles/etcd_client/role.yml": "resources:\n  - copy: { content: mine, dest: /etc/x }\n" }));
    const project = await loadProject(`${dir}/site.yml`);
    expect(project.roles.get("etcd_client")!.file).toBe(`${dir}/roles/etcd_client/role.yml`);
  });
});
