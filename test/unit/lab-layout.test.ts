import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isUnicastIpv6 } from "../../src/fields/ipv6.js";
import { loadInventory, resolveHostVars } from "../../src/inventory/index.js";
import { checkLabName, labLayout } from "../../src/lab/layout.js";
import { deriveMeshVars } from "../../src/mesh/derive.js";
import { overlapsLabNet, overlapsLabNet6 } from "../../src/lab/registry.js";
import { etcHosts, inventory, sshConfig } from "../../src/lab/lab-files.js";
import { parse } from "yaml";

describe("lab layout", () => {
  it("names every piece after the lab and keeps interface names within 15 bytes", () => {
    const lab = labLayout("e2e-lab-b", 250, 200);
    expect(lab.subnet).toBe("10.213.250.0/24");
    expect(lab.bridge).toBe("bml250");
    expect(lab.repoUrl).toBe("http://10.213.250.1:8000/");
    const last = lab.hosts.at(-1)!;
    expect(last).toMatchObject({ name: "node200", address: "10.213.250.210", netns: "bgpmesh-e2e-lab-b-node200" });
    for (const h of lab.hosts) expect(Buffer.byteLength(h.veth)).toBeLessThanOrEqual(15);
  });

  it("refuses names that cannot become interface, namespace or machine names", () => {
    expect(() => checkLabName("Lab_1")).toThrow(/lab name 'Lab_1' is not valid/);
    expect(() => checkLabName("a".repeat(21))).toThrow(/not valid/);
    expect(() => labLayout("ok", 1, 0)).toThrow(/--hosts must be a whole number from 1 to 200/);
  });

  it("detects routes that overlap a lab subnet", () => {
    expect(overlapsLabNet("10.213.4.0/24", 4)).toBe(true);
    expect(overlapsLabNet("10.213.4.77", 4)).toBe(true);
    expect(overlapsLabNet("10.0.0.0/8", 4)).toBe(true);
    expect(overlapsLabNet("10.213.5.0/24", 4)).toBe(false);
    expect(overlapsLabNet("192.168.1.0/24", 4)).toBe(false);
  });
});

describe("lab files", () => {
  const lab = labLayout("demo", 7, 2);

  it("writes an Ansible-shaped inventory with the lab's key and known_hosts", () => {
    const inv = parse(inventory(lab));
    expect(inv.all.children.mesh.hosts).toEqual({ node1: { ansible_host: "10.213.7.11" }, node2: { ansible_host: "10.213.7.12" } });
    expect(inv.all.children.etcd.hosts).toEqual({ node1: null });
    expect(Object.keys(parse(inventory(labLayout("demo", 7, 5))).all.children.etcd.hosts)).toEqual(["node1", "node2", "node3"]);
    expect(inv.all.vars).toEqual({
      ansible_user: "root",
      ansible_ssh_private_key_file: lab.keyFile,
      bgpmesh_known_hosts: lab.knownHostsFile,
    });
  });

  it("keeps host key checking strict in the ssh_config", () => {
    const cfg = sshConfig(lab);
    expect(cfg).toContain("StrictHostKeyChecking yes");
    expect(cfg).toContain(`UserKnownHostsFile ${lab.knownHostsFile}`);
    expect(cfg).toMatch(/Host node2\n  HostName 10\.213\.7\.12/);
  });

  it("lists localhost, the repository and every host in /etc/hosts", () => {
    expect(etcHosts(lab)).toBe("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.213.7.1\trepo\n10.213.7.11\tnode1\n10.213.7.12\tnode2\n");
  });
});

describe("a lab with an IPv6 underlay (lab up --underlay ipv6)", () => {
  const lab = labLayout("v6", 7, 3, "ipv6");

  it("puts the hosts and the bridge on the lab's own ULA /64, the repository URL in brackets", () => {
    expect(lab).toMatchObject({ underlay: "ipv6", subnet: "fd00:bd13:7::/64", prefixlen: 64, bridge: "bml7", bridgeAddress: "fd00:bd13:7::1" });
    expect(lab.repoUrl).toBe("http://[fd00:bd13:7::1]:8000/");
    expect(lab.hosts.map((h) => h.address)).toEqual(["fd00:bd13:7::11", "fd00:bd13:7::12", "fd00:bd13:7::13"]);
    // every address in the one spelling the inventory accepts (src/fields/ipv6.ts)
    const big = labLayout("v6", 250, 200, "ipv6");
    for (const a of [big.bridgeAddress, ...big.hosts.map((h) => h.address)]) expect(isUnicastIpv6(a)).toBe(true);
    expect(big.hosts.at(-1)!.address).toBe("fd00:bd13:250::210");
  });

  it("keeps an IPv4 lab as it was when no underlay is given", () => {
    expect(labLayout("demo", 7, 1)).toMatchObject({ underlay: "ipv4", subnet: "10.213.7.0/24", prefixlen: 24, bridgeAddress: "10.213.7.1" });
  });

  it("writes IPv6 addresses into the inventory, ssh_config and /etc/hosts", () => {
    const inv = parse(inventory(lab));
    expect(inv.all.children.mesh.hosts).toEqual({
      node1: { ansible_host: "fd00:bd13:7::11" },
      node2: { ansible_host: "fd00:bd13:7::12" },
      node3: { ansible_host: "fd00:bd13:7::13" },
    });
    expect(inventory(lab)).toMatch(/^# Lab 'v6' \(fd00:bd13:7::\/64\)/);
    expect(sshConfig(lab)).toMatch(/Host node2\n  HostName fd00:bd13:7::12\n/);
    expect(etcHosts(lab)).toBe(
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfd00:bd13:7::1\trepo\nfd00:bd13:7::11\tnode1\nfd00:bd13:7::12\tnode2\nfd00:bd13:7::13\tnode3\n",
    );
  });

  it("writes an inventory the provisioner derives IPv6 endpoints and bracketed etcd URLs from", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgpmesh-lab6-"));
    try {
      const file = join(dir, "inventory.yml");
      writeFileSync(file, inventory(lab));
      const inv = await loadInventory(file);
      const derived = deriveMeshVars(inv, new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h).vars])));
      expect(derived.get("node2")).toMatchObject({
        tinc_address: "fd00:bd13:7::12",
        etcd_endpoints: "https://[fd00:bd13:7::11]:2379,https://[fd00:bd13:7::12]:2379,https://[fd00:bd13:7::13]:2379",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("detects IPv6 routes that overlap a lab's /64", () => {
    expect(overlapsLabNet6("fd00:bd13:7::/64", 7)).toBe(true);
    expect(overlapsLabNet6("fd00:bd13:7::11", 7)).toBe(true);
    expect(overlapsLabNet6("fd00::/8", 7)).toBe(true);
    expect(overlapsLabNet6("fd00:bd13:8::/64", 7)).toBe(false);
    expect(overlapsLabNet6("fe80::/64", 7)).toBe(false);
    expect(overlapsLabNet6("ff00::/8", 7)).toBe(false);
    expect(overlapsLabNet6("10.213.7.0/24", 7)).toBe(false);
  });
});
