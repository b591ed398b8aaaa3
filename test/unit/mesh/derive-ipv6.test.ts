// mesh_ipv6: the IPv6 mesh addresses and the IPv6 prefix rules, as the inventory gives them.
import { describe, expect, it } from "vitest";
import { deriver } from "./helpers.js";
import { allocation6Schema, allocationSchema } from "../../../src/fields/allocation.js";
import { derivedSubnet6, isHostAddress6Of } from "../../../src/fields/ipv6.js";

const deriveWithFile = deriver("bgpmesh-mesh6-");
const derive = async (yaml: string) => (await deriveWithFile(yaml)).derived;

/** A mesh of the given host lines, with mesh_ipv6 on unless `vars` says otherwise. */
const mesh = (hosts: string, vars = "    mesh_ipv6: true\n") => `all:\n  vars:\n${vars}  children:\n    mesh:\n      hosts:\n${hosts}`;

describe("IPv6 mesh addresses", () => {
  it("mesh_ipv6 alone: each host gets a distinct, stable address in the mesh's derived ULA /64", async () => {
    const hosts = Array.from({ length: 30 }, (_, i) => `        n${i}: { ansible_host: 192.0.2.${i + 1} }\n`).join("");
    const a = await derive(mesh(hosts));
    const subnet = derivedSubnet6("bgpmesh");
    const addrs = [...a.values()].map((d) => String(d["mesh_address6"]));
    expect(new Set(addrs).size).toBe(30);
    for (const x of addrs) expect(isHostAddress6Of(subnet, x), x).toBe(true);
    expect(a.get("n0")).toMatchObject({ mesh_ipv6: true, mesh_subnet6: subnet });
    // A host joining moves no one.
    const b = await derive(mesh(`${hosts}        n30:\n`));
    for (const [h, d] of a) expect(b.get(h)!["mesh_address6"]).toBe(d["mesh_address6"]);
    // Another mesh name, another subnet.
    const c = await derive(mesh("        a:\n", "    mesh_ipv6: true\n    mesh_name: lab2\n"));
    expect(c.get("a")!["mesh_subnet6"]).toBe(derivedSubnet6("lab2"));
  });

  it("without mesh_ipv6 a host has no IPv6 address, and its allocation is what it always was", async () => {
    const d = await derive(mesh("        a: { bgp_announce: [198.51.100.0/26] }\n", ""));
    expect(d.get("a")!["mesh_ipv6"]).toBe(false);
    expect(d.get("a")!["mesh_address6"]).toBeUndefined();
    expect(d.get("a")!["bgp_allocation6"]).toBeUndefined();
    expect(Object.keys(d.get("a")!["bgp_allocation"] as object)).toEqual(["version", "name", "meshAddress", "routerId", "prefixes"]);
  });

  it("takes pinned addresses and mesh_subnet6 as given", async () => {
    const d = await derive(mesh("        a: { mesh_address6: 'fd12:3456:789a::a' }\n        b:\n", "    mesh_ipv6: true\n    mesh_subnet6: 'fd12:3456:789a::/64'\n"));
    expect(d.get("a")!["mesh_address6"]).toBe("fd12:3456:789a::a");
    expect(isHostAddress6Of("fd12:3456:789a::/64", String(d.get("b")!["mesh_address6"]))).toBe(true);
  });

  it("refuses, naming file:line: a duplicate, an address outside the subnet or not in its shortest form, a bad subnet, an address without mesh_ipv6", async () => {
    const vars = "    mesh_ipv6: true\n    mesh_subnet6: 'fd12:3456:789a::/64'\n";
    await expect(derive(mesh("        a: { mesh_address6: 'fd12:3456:789a::a' }\n        b: { mesh_address6: 'fd12:3456:789a::a' }\n", vars))).rejects.toThrow(
      /inv-\w+\.yml:9:\d+: mesh_address6: b: fd12:3456:789a::a is also a's IPv6 mesh address/,
    );
    await expect(derive(mesh("        a: { mesh_address6: 'fd12:3456:789b::a' }\n", vars))).rejects.toThrow(/:8:\d+: mesh_address6: a: 'fd12:3456:789b::a' is not a host address of mesh_subnet6 fd12:3456:789a::\/64/);
    await expect(derive(mesh("        a: { mesh_address6: 'FD12:3456:789a:0::a' }\n", vars))).rejects.toThrow(/mesh_address6: a: 'FD12:3456:789a:0::a' is not in its shortest form: write fd12:3456:789a::a/);
    await expect(derive(mesh("        a:\n", "    mesh_ipv6: true\n    mesh_subnet6: 'fd12:3456:789a::/48'\n"))).rejects.toThrow(/:4:\d+: mesh_subnet6: a: 'fd12:3456:789a::\/48' is not an IPv6 \/64/);
    await expect(derive(mesh("        a:\n", "    mesh_ipv6: true\n    mesh_subnet6: 'fd12:3456:789a:0::/64'\n"))).rejects.toThrow(/write it fd12:3456:789a::\/64/);
    await expect(derive(mesh("        a: { mesh_address6: 'fd12:3456:789a::a' }\n", ""))).rejects.toThrow(/mesh_address6: a: is set but mesh_ipv6 is not true/);
    await expect(derive(mesh("        a:\n", "    mesh_ipv6: maybe\n"))).rejects.toThrow(/mesh_ipv6: a: must be true or false/);
  });
});

describe("IPv6 prefixes", () => {
  it("go in the IPv6 allocation, each family's announcements apart for the templates", async () => {
    const d = await derive(mesh("        a: { bgp_announce: [198.51.100.0/26, '2001:db8:100::/48'], bgp_allowed_prefixes: ['2001:db8:200::/48 le 56'] }\n"));
    const a = d.get("a")!;
    expect(a["bgp_announce_ipv4"]).toEqual(["198.51.100.0/26"]);
    expect(a["bgp_announce_ipv6"]).toEqual(["2001:db8:100::/48"]);
    expect(allocationSchema.parse(a["bgp_allocation"]).prefixes).toEqual([{ prefix: "198.51.100.0/26", ge: 26, le: 26 }]);
    expect(allocation6Schema.parse(a["bgp_allocation6"])).toEqual({
      version: 1,
      name: "a",
      meshAddress6: a["mesh_address6"],
      prefixes: [
        { prefix: "2001:db8:100::/48", ge: 48, le: 48 },
        { prefix: "2001:db8:200::/48", ge: 48, le: 56 },
      ],
    });
  });

  it("are refused without mesh_ipv6, over the mesh's IPv6 subnet or a host's IPv6 underlay address, as a default route without bgp_allow_default, or in another spelling", async () => {
    await expect(derive(mesh("        a: { bgp_announce: ['2001:db8:100::/48'] }\n", ""))).rejects.toThrow(/:6:\d+: bgp_announce: a: 2001:db8:100::\/48 is IPv6: set mesh_ipv6: true on a/);
    await expect(derive(mesh("        a: { bgp_allowed_prefixes: ['2001:db8::/32 le 48'] }\n", ""))).rejects.toThrow(/bgp_allowed_prefixes: a: 2001:db8::\/32 le 48 is IPv6/);
    await expect(derive(mesh("        a: { bgp_announce: ['fd12:3456::/32'] }\n", "    mesh_ipv6: true\n    mesh_subnet6: 'fd12:3456:789a::/64'\n"))).rejects.toThrow(
      /fd12:3456::\/32 overlaps mesh_subnet6 fd12:3456:789a::\/64/,
    );
    await expect(derive(mesh("        a: { tinc_address: '2001:db8::5' }\n        b: { bgp_announce: ['2001:db8::/32'] }\n"))).rejects.toThrow(/2001:db8::\/32 contains a's underlay address 2001:db8::5/);
    await expect(derive(mesh("        a: { bgp_announce: ['::/0'] }\n"))).rejects.toThrow(/::\/0 is a default route: set bgp_allow_default: true on a/);
    await expect(derive(mesh("        a: { bgp_announce: ['2001:DB8:100::/48'] }\n"))).rejects.toThrow(/'2001:DB8:100::\/48' is not a network like .* \(write it 2001:db8:100::\/48\)/);
  });
});
