// Route reflectors from the inventory: who reflects reaches the agents only through the
// allocations the controller publishes, and the mistakes that would leave a mesh without routes
// are file:line errors before any host is contacted.
import { describe, expect, it } from "vitest";
import { InventoryError, loadInventory } from "../../../src/inventory/index.js";
import { expectedSessionCounts, topologyWarnings } from "../../../src/mesh/reflectors.js";
import { hostValues, loadProject } from "../../../src/roles/index.js";
import { projectFile } from "../../../src/util/project.js";
import { writeTree } from "../inventory/helpers.js";

function inventory(mesh: number, reflectors: string, extra = ""): string {
  const hosts = Array.from({ length: mesh }, (_, i) => `        node${i + 1}: { ansible_host: 192.0.2.${i + 11} }`).join("\n");
  return `all:
  children:
    mesh:
      hosts:
${hosts}
    etcd:
      hosts:
        node1:
${reflectors}${extra}`;
}

async function values(text: string) {
  const dir = await writeTree({ "inventory.yml": text });
  const inv = await loadInventory(`${dir}/inventory.yml`, {});
  const project = await loadProject(projectFile("site.yml"));
  return { inv, values: () => hostValues(project, inv), file: `${dir}/inventory.yml` };
}

const twoReflectors = "    route_reflectors:\n      hosts:\n        node1:\n        node2:\n";

describe("route reflectors in the inventory", () => {
  it("marks the reflectors in their allocations only, and each host's role", async () => {
    const { values: v } = await values(inventory(4, twoReflectors));
    const all = v();
    expect((all.get("node1")!["bgp_allocation"] as Record<string, unknown>)["routeReflector"]).toBe(true);
    expect((all.get("node2")!["bgp_allocation"] as Record<string, unknown>)["routeReflector"]).toBe(true);
    expect(all.get("node3")!["bgp_allocation"]).not.toHaveProperty("routeReflector");
    expect([1, 2, 3, 4].map((i) => all.get(`node${i}`)!["bgp_route_reflector"])).toEqual([true, true, false, false]);
  });

  it("without the group, publishes allocations as before (no field an older agent would refuse)", async () => {
    const { values: v } = await values(inventory(3, ""));
    expect(Object.keys(v().get("node1")!["bgp_allocation"] as object).sort()).toEqual(["meshAddress", "name", "prefixes", "routerId", "version"]);
  });

  it("counts the sessions each host should have: a client one per reflector, a reflector every other node", async () => {
    const { inv } = await values(inventory(5, twoReflectors));
    const mesh = ["node1", "node2", "node3", "node4", "node5"];
    expect(Object.fromEntries(expectedSessionCounts(inv, mesh))).toEqual({ node1: 4, node2: 4, node3: 2, node4: 2, node5: 2 });
    const { inv: full } = await values(inventory(5, ""));
    expect(Object.fromEntries(expectedSessionCounts(full, mesh))).toEqual({ node1: 4, node2: 4, node3: 4, node4: 4, node5: 4 });
  });

  it("refuses a reflector outside the mesh, and etcd without TLS, naming the place", async () => {
    const outside = await values(`${inventory(3, twoReflectors)}        other: { ansible_host: 192.0.2.99 }\n`);
    expect(() => outside.values()).toThrow(/route_reflectors has other, not in group mesh/);
    const plain = await values(inventory(3, twoReflectors, "  vars:\n    etcd_tls: false\n"));
    let err: unknown;
    try {
      plain.values();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect(String((err as Error).message)).toMatch(/inventory\.yml:\d+:\d+: etcd_tls: .*route_reflectors needs it/);
  });

  it("warns about a full mesh beyond 30 nodes and about a single reflector", async () => {
    const mesh = (n: number) => Array.from({ length: n }, (_, i) => `node${i + 1}`);
    const { inv: big } = await values(inventory(31, ""));
    expect(topologyWarnings(big, mesh(31))).toEqual([expect.stringMatching(/^the mesh is a full mesh of 31 nodes \(465 BGP sessions/)]);
    const { inv: small } = await values(inventory(30, ""));
    expect(topologyWarnings(small, mesh(30))).toEqual([]);
    const { inv: one } = await values(inventory(31, "    route_reflectors:\n      hosts:\n        node1:\n"));
    expect(topologyWarnings(one, mesh(31))).toEqual([expect.stringMatching(/has one host \(node1\)/)]);
  });
});
