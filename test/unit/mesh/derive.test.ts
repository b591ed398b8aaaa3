import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInventory, resolveHostVars } from "../../../src/inventory/index.js";
import { deriveMeshVars } from "../../../src/mesh/derive.js";

const dir = mkdtempSync(join(tmpdir(), "bgpmesh-mesh-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function derive(yaml: string) {
  const file = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, yaml);
  const inv = await loadInventory(file);
  const resolved = new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h).vars]));
  return { derived: deriveMeshVars(inv, resolved), file };
}

const mesh = (hosts: string, extra = "") => `all:\n  children:\n    mesh:\n      hosts:\n${hosts}${extra}`;

describe("mesh variables", () => {
  it("assigns every mesh host a distinct address in the subnet, deterministically", async () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `        n${i}: { ansible_host: 192.0.2.${i + 1} }\n`).join("");
    const a = (await derive(mesh(hosts))).derived;
    const b = (await derive(mesh(hosts))).derived;
    const addrs = [...a.values()].map((d) => d["mesh_address"] as string);
    expect(new Set(addrs).size).toBe(40);
    for (const x of addrs) expect(x).toMatch(/^10\.0\.0\.(\d+)$/);
    expect([...b.values()].map((d) => d["mesh_address"])).toEqual(addrs);
    expect(a.get("n0")).toMatchObject({ mesh_prefixlen: 24, tinc_address: "192.0.2.1", tinc_name: "n0", router_id: a.get("n0")!["mesh_address"] });
  });

  it("keeps existing hosts' addresses when a host joins", async () => {
    const before = (await derive(mesh("        alpha:\n        bravo:\n        charlie:\n"))).derived;
    const after = (await derive(mesh("        alpha:\n        bravo:\n        charlie:\n        delta:\n"))).derived;
    for (const h of ["alpha", "bravo", "charlie"]) expect(after.get(h)!["mesh_address"]).toBe(before.get(h)!["mesh_address"]);
  });

  it("lets an explicit address win and routes others around it", async () => {
    const { derived } = await derive(mesh("        a: { mesh_address: 10.0.0.7 }\n        b:\n"));
    expect(derived.get("a")!["mesh_address"]).toBeUndefined(); // the inventory's own value stands
    expect(derived.get("a")!["router_id"]).toBe("10.0.0.7");
    expect(derived.get("b")!["mesh_address"]).not.toBe("10.0.0.7");
  });

  it("refuses two hosts with one mesh address, naming the place", async () => {
    await expect(derive(mesh("        a: { mesh_address: 10.0.0.7 }\n        b: { mesh_address: 10.0.0.7 }\n"))).rejects.toThrow(
      /inv-\w+\.yml:6:14: mesh_address: b: 10\.0\.0\.7 is also a's mesh address/,
    );
  });

  it("refuses two hosts with one router id", async () => {
    await expect(derive(mesh("        a: { router_id: 1.1.1.1 }\n        b: { router_id: 1.1.1.1 }\n"))).rejects.toThrow(
      /:6:14: router_id: b: 1\.1\.1\.1 is also a's router id/,
    );
  });

  it("refuses an address outside the subnet and a bad subnet", async () => {
    await expect(derive(mesh("        a: { mesh_address: 10.0.1.7 }\n"))).rejects.toThrow(/:5:14: mesh_address: a: '10\.0\.1\.7' is not a host address of mesh_subnet 10\.0\.0\.0\/24/);
    await expect(derive(mesh("        a:\n", "      vars:\n        mesh_subnet: 10.0.0.1/24\n"))).rejects.toThrow(/:7:9: mesh_subnet: a: '10\.0\.0\.1\/24' is not an IPv4 subnet/);
  });

  // iproute2 (inet_aton) reads 010 as octal 8 while BIRD reads 10: the agent would refuse its own
  // config and restart in a loop, so these must stop the run before any host is contacted.
  it("refuses a mesh address, mesh subnet or router id with a leading zero", async () => {
    await expect(derive(mesh("        a: { mesh_address: 010.0.0.11 }\n"))).rejects.toThrow(
      /inv-\w+\.yml:5:14: mesh_address: a: '010\.0\.0\.11' is not an IPv4 address like 10\.0\.0\.5 \(no leading zeros/,
    );
    await expect(derive(mesh("        a: { mesh_address: 10.0.0.011 }\n"))).rejects.toThrow(/:5:14: mesh_address: a: '10\.0\.0\.011' is not an IPv4 address/);
    await expect(derive(mesh("        a:\n", "      vars:\n        mesh_subnet: 010.0.0.0/24\n"))).rejects.toThrow(/:7:9: mesh_subnet: a: '010\.0\.0\.0\/24' is not an IPv4 subnet/);
    await expect(derive(mesh("        a: { router_id: 10.0.0.01 }\n"))).rejects.toThrow(/:5:14: router_id: a: '10\.0\.0\.01' is not an IPv4 address/);
  });

  it("refuses an announced prefix with a leading zero or host bits set, naming the place", async () => {
    await expect(derive(mesh("        a: { bgp_announce: [198.51.100.00/26] }\n"))).rejects.toThrow(
      /inv-\w+\.yml:5:14: bgp_announce: a: '198\.51\.100\.00\/26' is not an IPv4 network like 192\.0\.2\.0\/24/,
    );
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_announce: [192.0.2.0/24, 198.51.100.1/26]\n"))).rejects.toThrow(
      /:7:9: bgp_announce: a: '198\.51\.100\.1\/26' is not an IPv4 network like 192\.0\.2\.0\/24 with no host bits set/,
    );
    await expect(derive(mesh("        a: { bgp_announce: 198.51.100.1/26 }\n"))).rejects.toThrow(/:5:14: bgp_announce: a: '198\.51\.100\.1\/26' is not an IPv4 network/);
    await expect(derive(mesh("        a: { bgp_announce: [192.0.2.0/24, 192.0.2.0/24] }\n"))).rejects.toThrow(/:5:14: bgp_announce: a: 192\.0\.2\.0\/24 is announced twice/);
    await expect(derive(mesh("        a: { bgp_announce: [198.51.100.0/26, 192.0.2.0/24] }\n        b: { bgp_announce: 203.0.113.0/24 }\n"))).resolves.toBeDefined();
  });

  it("refuses a mesh name or a key lifetime tinc cannot use", async () => {
    await expect(derive(mesh("        a:\n", "      vars:\n        mesh_name: my-mesh\n"))).rejects.toThrow(/:7:9: mesh_name: a: 'my-mesh' cannot be a tinc network name/);
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 5\n"))).rejects.toThrow(/:7:9: tinc_key_expire: a: '5' is not a number of seconds from 10 to 86400/);
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 600\n"))).resolves.toBeDefined();
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 1h\n"))).rejects.toThrow(/:7:9: tinc_key_expire: a: '1h' is not a number of seconds from 10 to 86400/);
  });

  it("lists etcd members for every host, and refuses an even etcd group", async () => {
    const inv = mesh("        a: { ansible_host: 192.0.2.1 }\n        b: { ansible_host: 192.0.2.2 }\n        c: { ansible_host: 192.0.2.3 }\n", "    etcd:\n      hosts:\n        a:\n        b:\n        c:\n");
    const { derived } = await derive(inv);
    expect(derived.get("c")).toMatchObject({
      etcd_endpoints: "https://192.0.2.1:2379,https://192.0.2.2:2379,https://192.0.2.3:2379",
      etcd_initial_cluster: "a=https://192.0.2.1:2380,b=https://192.0.2.2:2380,c=https://192.0.2.3:2380",
      etcd_member: true,
      etcd_address: "192.0.2.3",
    });
    const even = mesh("        a:\n        b:\n", "    etcd:\n      hosts:\n        a:\n        b:\n");
    await expect(derive(even)).rejects.toThrow(/:7:5: etcd: group etcd has 2 hosts \(a, b\): etcd needs an odd number of members/);
  });

  it("uses https for etcd unless the inventory turns etcd_tls off", async () => {
    const hosts = "        a: { ansible_host: 192.0.2.1 }\n";
    const on = await derive(mesh(hosts, "    etcd:\n      hosts:\n        a:\n"));
    expect(on.derived.get("a")).toMatchObject({ etcd_tls: true, etcd_endpoints: "https://192.0.2.1:2379" });
    const off = await derive(mesh(hosts, "    etcd:\n      hosts:\n        a:\n  vars:\n    etcd_tls: false\n"));
    expect(off.derived.get("a")).toMatchObject({ etcd_tls: false, etcd_endpoints: "http://192.0.2.1:2379" });
  });

  it("gives each mesh host a fixed MAC for its tap interface, from its mesh address", async () => {
    const { derived } = await derive(mesh("        a: { ansible_host: 192.0.2.1, mesh_address: 10.0.0.17 }\n        b: { ansible_host: 192.0.2.2 }\n"));
    expect(derived.get("a")!["mesh_mac"]).toBe("02:b6:0a:00:00:11");
    expect(derived.get("b")!["mesh_mac"]).toMatch(/^02:b6:0a:00:00:[0-9a-f]{2}$/);
  });
});
