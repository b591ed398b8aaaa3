import { describe, expect, it } from "vitest";
import { connectionOf, groupsOf, hostsOf, loadInventory, resolveHostVars, Secret } from "../../../src/inventory/index.js";
import { inventoryError } from "./helpers.js";

const EXAMPLE = "inventory/example.yml";

describe("inventory/example.yml", () => {
  it("loads: three hosts in mesh, all of them in its child group etcd", async () => {
    const inv = await loadInventory(EXAMPLE, { env: { ETCD_CLUSTER_TOKEN: "example-token" } });
    expect(hostsOf(inv, "mesh")).toEqual(["node1", "node2", "node3"]);
    expect(hostsOf(inv, "etcd")).toEqual(["node1", "node2", "node3"]);
    expect(groupsOf(inv, "node1")).toEqual(["all", "mesh", "etcd"]);
    expect(connectionOf(resolveHostVars(inv, "node3"))).toMatchObject({ host: "192.0.2.13", port: 2222, user: "admin", become: true });
    const token = resolveHostVars(inv, "node1").vars.get("etcd_cluster_token")?.value;
    expect(token).toBeInstanceOf(Secret);
    expect((token as Secret).reveal()).toBe("example-token");
  });

  it("says which environment variable is missing, and where it is used", async () => {
    const err = await inventoryError(() => loadInventory(EXAMPLE, { env: {} }));
    expect(err.message).toBe(`${EXAMPLE}:50:33: environment variable ETCD_CLUSTER_TOKEN is not set (!env ETCD_CLUSTER_TOKEN)`);
  });
});
