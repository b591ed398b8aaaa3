import { describe, expect, it } from "vitest";
import { checkLabName, labLayout } from "../../src/lab/layout.js";
import { overlapsLabNet } from "../../src/lab/registry.js";
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
