import { describe, expect, it } from "vitest";
import { deriver } from "./helpers.js";
import { allocationCovers, allocationSchema } from "../../../src/fields/allocation.js";
import { defaultLeaseTtl } from "../../../src/fields/lease.js";
import { defaultKeyExpire } from "../../../src/fields/tinc.js";

const derive = deriver("bgpmesh-mesh-");

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

  it("refuses a tinc address the other nodes' agents would refuse, naming the place", async () => {
    await expect(derive(mesh("        a: { ansible_host: localhost }\n"))).rejects.toThrow(
      /:5:14: ansible_host: a: 'localhost' cannot be the address other nodes' tinc connects to: use a unicast IPv4 or IPv6 address or a DNS name \(not localhost; set tinc_address\)/,
    );
    await expect(derive(mesh("        a: { ansible_host: 127.0.0.1, tinc_address: node_a.example }\n"))).rejects.toThrow(/:5:39: tinc_address: a: 'node_a\.example' cannot be/);
    // Without either, the host name is the address: one that is no DNS name is refused too.
    await expect(derive(mesh("        web_1:\n"))).rejects.toThrow(/ansible_host: web_1: 'web_1' cannot be/);
    expect((await derive(mesh("        a: { ansible_host: 127.0.0.1, tinc_address: a.example.net }\n"))).derived.get("a")!["tinc_address"]).toBe("a.example.net");
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
      /inv-\w+\.yml:5:14: bgp_announce: a: '198\.51\.100\.00\/26' is not a network like 192\.0\.2\.0\/24 or 2001:db8::\/48/,
    );
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_announce: [192.0.2.0/24, 198.51.100.1/26]\n"))).rejects.toThrow(
      /:7:9: bgp_announce: a: '198\.51\.100\.1\/26' is not a network like 192\.0\.2\.0\/24 or 2001:db8::\/48 with no host bits set/,
    );
    await expect(derive(mesh("        a: { bgp_announce: 198.51.100.1/26 }\n"))).rejects.toThrow(/:5:14: bgp_announce: a: '198\.51\.100\.1\/26' is not a network like/);
    await expect(derive(mesh("        a: { bgp_announce: [192.0.2.0/24, 192.0.2.0/24] }\n"))).rejects.toThrow(/:5:14: bgp_announce: a: 192\.0\.2\.0\/24 is announced twice/);
    await expect(derive(mesh("        a: { bgp_announce: [198.51.100.0/26, 192.0.2.0/24] }\n        b: { bgp_announce: 203.0.113.0/24 }\n"))).resolves.toBeDefined();
  });

  it("refuses a mesh name or a key lifetime tinc cannot use", async () => {
    await expect(derive(mesh("        a:\n", "      vars:\n        mesh_name: my-mesh\n"))).rejects.toThrow(/:7:9: mesh_name: a: 'my-mesh' cannot be a tinc network name/);
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 5\n"))).rejects.toThrow(/:7:9: tinc_key_expire: a: '5' is not a number of seconds from 10 to 86400/);
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 600\n"))).resolves.toBeDefined();
    await expect(derive(mesh("        a:\n", "      vars:\n        tinc_key_expire: 1h\n"))).rejects.toThrow(/:7:9: tinc_key_expire: a: '1h' is not a number of seconds from 10 to 86400/);
  });

  it.each([
    { key: "tinc_key_expire", rule: defaultKeyExpire, sizes: [1, 30, 31, 60, 61, 100, 120, 121, 240, 241], want: [30, 30, 60, 60, 120, 120, 120, 240, 240, 480], at3: 30, at100: 120, set: 45 },
    { key: "agent_lease_ttl", rule: defaultLeaseTtl, sizes: [1, 30, 31, 60, 61, 100, 120, 121], want: [10, 10, 20, 20, 40, 40, 40, 80], at3: 10, at100: 40, set: 15 },
  ])("gives $key its value up to 30 nodes and doubles it per doubling of the mesh, unless the inventory sets it", async ({ key, rule, sizes, want, at3, at100, set }) => {
    expect(sizes.map(rule)).toEqual(want);
    const hosts = (n: number) => Array.from({ length: n }, (_, i) => `        n${i}: { ansible_host: 192.0.2.${i + 1} }\n`).join("");
    expect((await derive(mesh(hosts(3)))).derived.get("n0")![key]).toBe(at3);
    const big = (await derive(mesh(hosts(100)))).derived;
    expect(new Set([...big.values()].map((d) => d[key]))).toEqual(new Set([at100]));
    const own = (await derive(mesh(hosts(100), `      vars:\n        ${key}: ${set}\n`))).derived;
    expect(own.get("n0")![key]).toBeUndefined();
  });

  it("refuses a lease TTL the agent would not take", async () => {
    await expect(derive(mesh("        a:\n", "      vars:\n        agent_lease_ttl: 4\n"))).rejects.toThrow(/:7:9: agent_lease_ttl: a: '4' is not a number of seconds from 5 to 3600/);
  });

  it("refuses BGP timers whose keepalive is more than a third of the hold time, naming the keepalive's line", async () => {
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_hold_time: 60\n        bgp_keepalive_time: 30\n"))).rejects.toThrow(
      /:8:9: bgp_keepalive_time: a: bgp_keepalive_time \(30\) must be at most a third of bgp_hold_time \(60\)/,
    );
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_hold_time: 2\n"))).rejects.toThrow(/:7:9: bgp_hold_time: a: '2' is not a number of seconds from 3 to 65535/);
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_hold_time: 60\n        bgp_keepalive_time: 20\n"))).resolves.toBeDefined();
  });

  it("refuses a BFD interval BIRD would take but the mesh cannot use", async () => {
    await expect(derive(mesh("        a:\n", "      vars:\n        bird_bfd_interval: 20\n"))).rejects.toThrow(/:7:9: bird_bfd_interval: a: '20' is not a number of milliseconds from 50 to 10000/);
    await expect(derive(mesh("        a:\n", "      vars:\n        bird_bfd_interval: 1s\n"))).rejects.toThrow(/:7:9: bird_bfd_interval: a: '1s' is not a number of milliseconds/);
    await expect(derive(mesh("        a:\n", "      vars:\n        bird_bfd_interval: 300\n"))).resolves.toBeDefined();
    await expect(derive(mesh("        a:\n", "      vars:\n        bgp_graceful_restart_time: 5000\n"))).rejects.toThrow(/:7:9: bgp_graceful_restart_time: a: '5000' is not a number of seconds from 5 to 4095/);
    await expect(derive(mesh("        a:\n", "      vars:\n        bird_graceful_restart_wait: 0\n"))).rejects.toThrow(/:7:9: bird_graceful_restart_wait: a: '0' is not a number of seconds from 1 to 600/);
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

  describe("announced prefixes across the mesh", () => {
    it("refuses a prefix that contains or lies in the mesh subnet", async () => {
      await expect(derive(mesh("        a: { bgp_announce: [10.0.0.0/16] }\n"))).rejects.toThrow(
        /inv-\w+\.yml:5:14: bgp_announce: a: 10\.0\.0\.0\/16 overlaps mesh_subnet 10\.0\.0\.0\/24: the mesh's own addresses are routed by tinc, not announced over BGP$/,
      );
      await expect(derive(mesh("        a: { bgp_announce: [10.9.0.0/26] }\n", "      vars:\n        mesh_subnet: 10.9.0.0/24\n"))).rejects.toThrow(
        /inv-\w+\.yml:5:14: bgp_announce: a: 10\.9\.0\.0\/26 overlaps mesh_subnet 10\.9\.0\.0\/24: /,
      );
    });

    it("refuses a prefix that holds a host's underlay address", async () => {
      const hosts = "        a: { ansible_host: 192.0.2.11, bgp_announce: [198.51.100.0/24] }\n        b: { ansible_host: 198.51.100.7 }\n";
      await expect(derive(mesh(hosts))).rejects.toThrow(
        /inv-\w+\.yml:5:40: bgp_announce: a: 198\.51\.100\.0\/24 contains b's underlay address 198\.51\.100\.7: announcing it would pull the underlay traffic into the mesh$/,
      );
      // tinc_address is the underlay address when set; a host outside the mesh counts too.
      const other = "        a: { bgp_announce: [203.0.113.0/25] }\n    monitor:\n      hosts:\n        m: { ansible_host: 203.0.113.9 }\n";
      await expect(derive(mesh(other))).rejects.toThrow(/:5:14: bgp_announce: a: 203\.0\.113\.0\/25 contains m's underlay address 203\.0\.113\.9: /);
      await expect(derive(mesh("        a: { tinc_address: 203.0.113.200, ansible_host: 192.0.2.1, bgp_announce: [203.0.113.128/25] }\n"))).rejects.toThrow(
        /:5:68: bgp_announce: a: 203\.0\.113\.128\/25 contains a's underlay address 203\.0\.113\.200: /,
      );
      await expect(derive(mesh("        a: { ansible_host: 192.0.2.1, bgp_announce: [203.0.113.0/25] }\n        b: { ansible_host: 203.0.113.200 }\n"))).resolves.toBeDefined();
    });

    it("refuses a default route unless the host sets bgp_allow_default", async () => {
      await expect(derive(mesh("        a: { bgp_announce: [0.0.0.0/0] }\n"))).rejects.toThrow(
        /inv-\w+\.yml:5:14: bgp_announce: a: 0\.0\.0\.0\/0 is a default route: set bgp_allow_default: true on a to announce it$/,
      );
      await expect(derive(mesh("        a: { bgp_allowed_prefixes: [0.0.0.0/0 le 8] }\n"))).rejects.toThrow(
        /:5:14: bgp_allowed_prefixes: a: 0\.0\.0\.0\/0 le 8 is a default route: set bgp_allow_default: true on a to announce it$/,
      );
      await expect(derive(mesh("        a: { bgp_announce: [0.0.0.0/0], bgp_allow_default: maybe }\n"))).rejects.toThrow(/:5:41: bgp_allow_default: a: must be true or false$/);
      const hosts = "        a: { ansible_host: 192.0.2.1, bgp_announce: [0.0.0.0/0], bgp_allow_default: true }\n        b: { ansible_host: 192.0.2.2, bgp_allow_default: true, bgp_allowed_prefixes: [0.0.0.0/0] }\n";
      const { derived } = await derive(mesh(hosts));
      expect((derived.get("a")!["bgp_allocation"] as { prefixes: unknown[] }).prefixes).toEqual([{ prefix: "0.0.0.0/0", ge: 0, le: 0 }]);
      // Allowed to announce the default route is not allowed to announce everything.
      await expect(derive(mesh("        a: { bgp_allow_default: true, bgp_allowed_prefixes: [0.0.0.0/0 le 32] }\n"))).rejects.toThrow(
        /:5:39: bgp_allowed_prefixes: a: 0\.0\.0\.0\/0 le 32 overlaps mesh_subnet 10\.0\.0\.0\/24: /,
      );
    });

    it("refuses two hosts announcing one prefix unless both list it in bgp_anycast", async () => {
      await expect(derive(mesh("        a: { bgp_announce: [198.51.100.0/24] }\n        b: { bgp_announce: [192.0.2.0/24, 198.51.100.0/24] }\n"))).rejects.toThrow(
        /inv-\w+\.yml:6:14: bgp_announce: b: 198\.51\.100\.0\/24 is also announced by a: list it in bgp_anycast of both hosts to announce it from both$/,
      );
      const one = "        a: { bgp_announce: [198.51.100.0/24], bgp_anycast: [198.51.100.0/24] }\n        b: { bgp_announce: [198.51.100.0/24] }\n";
      await expect(derive(mesh(one))).rejects.toThrow(/:6:14: bgp_announce: b: 198\.51\.100\.0\/24 is also announced by a: /);
      // A group's vars give every host the prefix: anycast, said once for all of them.
      const group = "        a:\n        b:\n        c:\n      vars:\n        bgp_announce: [198.51.100.0/24]\n        bgp_anycast: [198.51.100.0/24]\n";
      const { derived } = await derive(mesh(group));
      expect(derived.get("c")!["bgp_allocation"]).toMatchObject({ prefixes: [{ prefix: "198.51.100.0/24", ge: 24, le: 24 }] });
    });

    it("refuses an anycast prefix the host does not announce", async () => {
      await expect(derive(mesh("        a: { bgp_announce: [192.0.2.0/24], bgp_anycast: [198.51.100.0/24] }\n"))).rejects.toThrow(
        /inv-\w+\.yml:5:44: bgp_anycast: a: 198\.51\.100\.0\/24 is not in a's bgp_announce: an anycast prefix is one the host announces$/,
      );
      await expect(derive(mesh("        a: { bgp_announce: [192.0.2.0/24], bgp_anycast: [192.0.2.1/24] }\n"))).rejects.toThrow(
        /:5:44: bgp_anycast: a: '192\.0\.2\.1\/24' is not a network like 192\.0\.2\.0\/24 or 2001:db8::\/48 with no host bits set/,
      );
    });

    it("reads bgp_allowed_prefixes as prefix-list entries and checks them like announced prefixes", async () => {
      const at = (entry: string) => derive(mesh(`        a:\n`, `      vars:\n        bgp_allowed_prefixes: ["${entry}"]\n`));
      await expect(at("198.51.100.0/24 le 20")).rejects.toThrow(
        /inv-\w+\.yml:7:9: bgp_allowed_prefixes: a: '198\.51\.100\.0\/24 le 20' has le 20: it must be from 24 \(the prefix's length\) to 32$/,
      );
      await expect(at("198.51.100.0/24 ge 33")).rejects.toThrow(/:7:9: bgp_allowed_prefixes: a: '198\.51\.100\.0\/24 ge 33' has ge 33: it must be from 24 \(the prefix's length\) to 32$/);
      await expect(at("198.51.100.0/24 ge 28 le 26")).rejects.toThrow(/:7:9: bgp_allowed_prefixes: a: '198\.51\.100\.0\/24 ge 28 le 26' has ge 28 above le 26$/);
      await expect(at("198.51.100.0/24 le 28 ge 26")).rejects.toThrow(
        /:7:9: bgp_allowed_prefixes: a: '198\.51\.100\.0\/24 le 28 ge 26' is not a prefix range like 198\.51\.100\.0\/24, 198\.51\.100\.0\/24 le 28, 198\.51\.100\.0\/24 ge 26 le 28 or 2001:db8::\/48 le 56 \(no host bits set, no leading zeros, IPv6 in its shortest form\)$/,
      );
      await expect(at("198.51.100.1/24")).rejects.toThrow(/:7:9: bgp_allowed_prefixes: a: '198\.51\.100\.1\/24' is not a prefix range like /);
      await expect(at("10.0.0.0/8 ge 24 le 24")).rejects.toThrow(/:7:9: bgp_allowed_prefixes: a: 10\.0\.0\.0\/8 ge 24 le 24 overlaps mesh_subnet 10\.0\.0\.0\/24: /);
      await expect(derive(mesh("        a: { ansible_host: 192.0.2.5, bgp_allowed_prefixes: [192.0.2.0/24 ge 25] }\n"))).rejects.toThrow(
        /:5:39: bgp_allowed_prefixes: a: 192\.0\.2\.0\/24 ge 25 contains a's underlay address 192\.0\.2\.5: announcing it would pull the underlay traffic into the mesh$/,
      );
      await expect(derive(mesh("        a: { bgp_allowed_prefixes: [198.51.100.0/24 le 28, 198.51.100.0/24 ge 24 le 28] }\n"))).rejects.toThrow(
        /:5:14: bgp_allowed_prefixes: a: 198\.51\.100\.0\/24 ge 24 le 28 is listed twice \(as 198\.51\.100\.0\/24 le 28\)$/,
      );
    });

    it("derives each mesh host's allocation: announced prefixes as exact ranges, then the allowed ones, sorted, once", async () => {
      const hosts =
        "        a: { mesh_address: 10.0.0.5, bgp_announce: [203.0.113.0/24, 198.51.100.0/26], bgp_allowed_prefixes: [198.51.100.0/24 ge 26 le 28, 198.51.100.0/26, 192.0.2.0/24 le 25] }\n" +
        "        b-2: { router_id: 1.1.1.1 }\n";
      const { derived } = await derive(mesh(hosts));
      const a = allocationSchema.parse(derived.get("a")!["bgp_allocation"]);
      expect(a).toEqual({
        version: 1,
        name: "a",
        meshAddress: "10.0.0.5",
        routerId: "10.0.0.5",
        prefixes: [
          { prefix: "192.0.2.0/24", ge: 24, le: 25 },
          { prefix: "198.51.100.0/24", ge: 26, le: 28 },
          { prefix: "198.51.100.0/26", ge: 26, le: 26 },
          { prefix: "203.0.113.0/24", ge: 24, le: 24 },
        ],
      });
      expect(allocationCovers(a, "198.51.100.64/27")).toBe(true);
      expect(allocationCovers(a, "198.51.100.0/29")).toBe(false);
      expect(allocationCovers(a, "192.0.2.128/25")).toBe(true);
      expect(allocationCovers(a, "203.0.113.0/25")).toBe(false);
      const b = allocationSchema.parse(derived.get("b-2")!["bgp_allocation"]);
      expect(b).toEqual({ version: 1, name: "b_2", meshAddress: derived.get("b-2")!["mesh_address"], routerId: "1.1.1.1", prefixes: [] });
    });
  });
});
