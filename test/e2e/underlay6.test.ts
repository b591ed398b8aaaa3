// A lab whose hosts have only IPv6 on eth0 (lab up --underlay ipv6), provisioned with the shipped
// site: SSH, apt, etcd and tinc all run over IPv6 (the mesh inside tinc stays IPv4), and the mesh
// converges. Issue 17: "one lab with IPv6-only underlay addresses for the hosts converges".
import { describe, expect, it } from "vitest";
import { cli, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";

const NAME = "v6u-e2e";
let lab: LabInfo;

labPerFile(NAME, 3, (l) => (lab = l), { underlay: "ipv6" });

const recapLine = (out: string, h: string) => out.split("\n").find((l) => l.startsWith(`${h} `) && /ok=/.test(l)) ?? "";

describe("a lab with an IPv6-only underlay", () => {
  it("gives each host only an address of the lab's ULA /64 on eth0, and nothing beyond the bridge", async () => {
    expect(lab.subnet).toBe(`fd00:bd13:${lab.index}::/64`);
    for (const h of lab.hosts) {
      expect(h.address).toBe(`fd00:bd13:${lab.index}::${10 + Number(h.name.slice(4))}`);
      const addrs = await sshOk(lab, h.name, "ip -o addr show dev eth0");
      expect(addrs).not.toMatch(/\sinet\s/);
      expect(addrs).toContain(`inet6 ${h.address}/64 scope global nodad`);
    }
    const out = await sshOk(lab, "node1", "ping -c1 -W1 2001:db8::1 2>&1 || true; ip -6 route show default | wc -l");
    expect(out).toMatch(/Network is unreachable/);
    expect(out.trim().split("\n").at(-1)).toBe("0");
  });

  it("apply (the shipped site) over IPv6 succeeds; etcd and tinc listen and connect over IPv6", async () => {
    const r = await cli("apply", "-i", lab.inventoryFile, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const conf = await sshOk(lab, "node1", "cat /etc/tinc/bgpmesh/tinc.conf; cat /etc/default/etcd");
    expect(conf).toContain("AddressFamily = any\n");
    expect(conf).toContain(`ETCD_ADVERTISE_CLIENT_URLS=https://[${lab.hosts[0]!.address}]:2379\n`);
  });

  it("verify: every BGP session up, every ping over tinc answered, etcd healthy", async () => {
    const r = await cli("verify", "-i", lab.inventoryFile, "--wait", "120", "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("etcd: 3 of 3 members healthy");
    expect(r.stdout).toMatch(/converged/);
    const tinc = await sshOk(lab, "node1", "ss -tn state established '( sport = :655 or dport = :655 )'");
    expect(tinc).toContain(`[${lab.hosts[1]!.address}]`);
    expect(tinc).toContain(`[${lab.hosts[2]!.address}]`);
  });

  it("a second apply changes nothing (the certificates' IPv6 names read back as written)", async () => {
    const r = await cli("apply", "-i", lab.inventoryFile, "--no-color");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of lab.hosts) expect(recapLine(r.stdout, h.name)).toMatch(/changed=0\s+failed=0/);
  });
});
