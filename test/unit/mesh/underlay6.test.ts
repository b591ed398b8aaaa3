// Hosts reached over IPv6: the underlay address, the etcd URLs and the tinc endpoint derived from it.
import { describe, expect, it } from "vitest";
import { deriver } from "./helpers.js";

const deriveWithFile = deriver("bgpmesh-underlay6-");
const derive = async (yaml: string) => (await deriveWithFile(yaml)).derived;

const mesh = (hosts: string, extra = "") => `all:\n  children:\n    mesh:\n      hosts:\n${hosts}${extra}`;
const etcd3 = "    etcd:\n      hosts:\n        a:\n        b:\n        c:\n";

describe("an IPv6 underlay", () => {
  it("takes an IPv6 ansible_host (block and flow YAML) as the tinc address", async () => {
    const derived = await derive(mesh("        a:\n          ansible_host: 2001:db8::5\n        b: { ansible_host: 2001:db8::6 }\n"));
    expect(derived.get("a")).toMatchObject({ tinc_address: "2001:db8::5", tinc_url_host: "[2001:db8::5]" });
    expect(derived.get("b")).toMatchObject({ tinc_address: "2001:db8::6", tinc_url_host: "[2001:db8::6]" });
  });

  it("takes an IPv6 tinc_address beside an IPv4 ansible_host", async () => {
    const derived = await derive(mesh("        a: { ansible_host: 192.0.2.1, tinc_address: 'fd00:bd13:1::11' }\n"));
    expect(derived.get("a")).toMatchObject({ tinc_address: "fd00:bd13:1::11", tinc_url_host: "[fd00:bd13:1::11]" });
  });

  it("leaves IPv4 and DNS names unbracketed", async () => {
    const derived = await derive(mesh("        a: { ansible_host: 192.0.2.1 }\n        b: { ansible_host: b.example.net }\n"));
    expect(derived.get("a")).toMatchObject({ tinc_url_host: "192.0.2.1" });
    expect(derived.get("b")).toMatchObject({ tinc_url_host: "b.example.net" });
  });

  it("refuses an IPv6 address not in its shortest form, naming the place and the shortest form", async () => {
    await expect(derive(mesh("        a: { ansible_host: '2001:db8:0:0:0:0:0:5' }\n"))).rejects.toThrow(
      /inv-\w+\.yml:5:14: ansible_host: a: '2001:db8:0:0:0:0:0:5' is an IPv6 address not in its shortest form: write 2001:db8::5$/,
    );
    await expect(derive(mesh("        a:\n          ansible_host: 2001:db8::5\n          tinc_address: 2001:DB8::5\n"))).rejects.toThrow(
      /:7:11: tinc_address: a: '2001:DB8::5' is an IPv6 address not in its shortest form: write 2001:db8::5$/,
    );
  });

  it("refuses an IPv6 address other nodes cannot reach, as it refuses an IPv4 one", async () => {
    for (const address of ["'::1'", "'fe80::1'", "'[2001:db8::5]'"]) {
      await expect(derive(mesh(`        a: { ansible_host: ${address} }\n`))).rejects.toThrow(
        /:5:14: ansible_host: a: '.*' cannot be the address other nodes' tinc connects to: use a unicast IPv4 or IPv6 address or a DNS name/,
      );
    }
  });

  it("writes etcd URLs with the IPv6 address in brackets", async () => {
    const hosts = "        a: { ansible_host: 2001:db8::1 }\n        b: { ansible_host: 2001:db8::2 }\n        c: { ansible_host: 2001:db8::3 }\n";
    const derived = await derive(mesh(hosts, etcd3));
    expect(derived.get("c")).toMatchObject({
      etcd_endpoints: "https://[2001:db8::1]:2379,https://[2001:db8::2]:2379,https://[2001:db8::3]:2379",
      etcd_initial_cluster: "a=https://[2001:db8::1]:2380,b=https://[2001:db8::2]:2380,c=https://[2001:db8::3]:2380",
      etcd_address: "2001:db8::3",
      etcd_url_host: "[2001:db8::3]",
    });
    expect((derived.get("a")!["etcd_members"] as unknown[])[1]).toEqual({
      name: "b",
      address: "2001:db8::2",
      url_host: "[2001:db8::2]",
      peer_url: "https://[2001:db8::2]:2380",
      client_url: "https://[2001:db8::2]:2379",
    });
  });

  it("mixes IPv4 and IPv6 members, each URL in its own form", async () => {
    const hosts = "        a: { ansible_host: 192.0.2.1 }\n        b: { ansible_host: 2001:db8::2 }\n        c: { ansible_host: c.example.net }\n";
    const derived = await derive(mesh(hosts, `${etcd3}  vars:\n    etcd_tls: false\n`));
    expect(derived.get("a")).toMatchObject({
      etcd_endpoints: "http://192.0.2.1:2379,http://[2001:db8::2]:2379,http://c.example.net:2379",
      etcd_url_host: "192.0.2.1",
    });
  });

  it("keeps IPv4 announcements' underlay check while an IPv6 host is in the mesh", async () => {
    const hosts = "        a: { ansible_host: 2001:db8::1 }\n        b:\n          ansible_host: 192.0.2.11\n          bgp_announce: [198.51.100.0/24]\n";
    await expect(derive(mesh(hosts))).resolves.toBeDefined();
    const bad = "        a: { ansible_host: 2001:db8::1 }\n        b:\n          ansible_host: 192.0.2.11\n          bgp_announce: [192.0.2.0/24]\n";
    await expect(derive(mesh(bad))).rejects.toThrow(/192\.0\.2\.0\/24 contains b's underlay address 192\.0\.2\.11/);
  });
});
