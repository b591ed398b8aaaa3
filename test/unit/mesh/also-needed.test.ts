// A run limited to a new mesh host also needs the first etcd member, which keeps etcd's users: for
// that duty alone. With the shipped roles, the member's desired state is then the users' script and
// its check, nothing of the plan (or the -e values) meant for the hosts asked for.
import { describe, expect, it } from "vitest";
import { loadInventory, parseExtraVars } from "../../../src/inventory/index.js";
import { hostsAlsoNeeded } from "../../../src/mesh/also-needed.js";
import { desiredState, hostValues, loadProject } from "../../../src/roles/index.js";
import { projectFile } from "../../../src/util/project.js";
import { writeTree } from "../inventory/helpers.js";

const INVENTORY = `all:
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

async function load(extraVars: string[] = []) {
  const dir = await writeTree({ "inventory.yml": INVENTORY });
  const inv = await loadInventory(`${dir}/inventory.yml`, { extraVars: parseExtraVars(extraVars) });
  const project = await loadProject(projectFile("site.yml"));
  return { inv, project };
}

describe("a host pulled into a limited run for one duty", () => {
  it("is the first etcd member, for the duty etcd_users, when a limit leaves it out", async () => {
    const { inv, project } = await load();
    expect(hostsAlsoNeeded(inv, hostValues(project, inv), ["node3"])).toEqual([
      { host: "node1", why: "it keeps etcd's users, which node3 needs to register", tag: "etcd_users" },
    ]);
    expect(hostsAlsoNeeded(inv, hostValues(project, inv), ["node1", "node3"])).toEqual([]);
  });

  it("gets only the resources that keep etcd's users, and none of the -e values", async () => {
    const { inv, project } = await load(["tinc_port=656"]);
    const [{ host, tag }] = hostsAlsoNeeded(inv, hostValues(project, inv), ["node3"]) as [{ host: string; tag: string }];
    const duty = desiredState(project, inv, host, tag);
    expect(duty.resources.map((r) => [r.kind, r["path"] ?? r["name"]])).toEqual([
      ["directory", "/usr/local/lib/bgpmesh"],
      ["file", "/usr/local/lib/bgpmesh/etcd-auth.sh"],
      ["command", "etcd users and rights as the inventory says"],
    ]);
    expect(duty.handlers.map((h) => h.name)).toEqual(["configure etcd users"]);
    expect(JSON.stringify(duty)).not.toContain("656");
    // The host asked for gets its whole plan, the -e value included.
    const asked = desiredState(project, inv, "node3");
    expect(asked.resources.length).toBeGreaterThan(20);
    expect(JSON.stringify(asked)).toContain("656");
  });
});
