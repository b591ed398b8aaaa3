// The shipped roles for hosts reached over IPv6: what they write for etcd, tinc and Prometheus, and
// the names the node certificate gets.
import { describe, expect, it } from "vitest";
import type { DesiredHost } from "../../../src/model/resource.js";
import { loadInventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject } from "../../../src/roles/index.js";
import { writeTree } from "../inventory/helpers.js";

const SITE = [
  "- hosts: etcd\n  roles: [pki, etcd]",
  "- hosts: mesh\n  roles: [pki, etcd_client, tinc, bird, agent]",
  "- hosts: monitoring\n  roles: [monitoring]\n  optional: true",
  "",
].join("\n");

const inventory = (hosts: string) => `all:
  children:
    mesh:
      hosts:
${hosts}    etcd:
      hosts:
        n1:
    monitoring:
      hosts:
        n1:
`;
const V6 = "        n1: { ansible_host: 2001:db8::1 }\n        n2: { ansible_host: 2001:db8::2 }\n";
const V4 = "        n1: { ansible_host: 192.0.2.1 }\n        n2: { ansible_host: 192.0.2.2 }\n";

async function render(hosts: string, host: string): Promise<DesiredHost> {
  const dir = await writeTree({ "site.yml": SITE, "inventory.yml": inventory(hosts) });
  return desiredState(await loadProject(`${dir}/site.yml`), await loadInventory(`${dir}/inventory.yml`), host);
}

const file = (d: DesiredHost, path: string): string => {
  const r = d.resources.find((x) => x.kind === "file" && x.path === path);
  if (!r || r.kind !== "file") throw new Error(`${d.host} has no file ${path}: ${d.resources.flatMap((x) => (x.kind === "file" ? [x.path] : [])).join(" ")}`);
  return String(r.content);
};

describe("the shipped roles on an IPv6 underlay", () => {
  it("etcd listens and advertises at [address]:port", async () => {
    const env = file(await render(V6, "n1"), "/etc/default/etcd");
    expect(env).toContain("ETCD_LISTEN_PEER_URLS=https://[2001:db8::1]:2380\n");
    expect(env).toContain("ETCD_LISTEN_CLIENT_URLS=https://[2001:db8::1]:2379,https://127.0.0.1:2379\n");
    expect(env).toContain("ETCD_ADVERTISE_CLIENT_URLS=https://[2001:db8::1]:2379\n");
    expect(env).toContain("ETCD_INITIAL_ADVERTISE_PEER_URLS=https://[2001:db8::1]:2380\n");
    expect(env).toMatch(/\nETCD_LISTEN_METRICS_URLS=http:\/\/\[2001:db8::1\]:\d+\n/);
    expect(env).toContain("ETCD_INITIAL_CLUSTER=n1=https://[2001:db8::1]:2380\n");
  });

  it("the same file for IPv4 hosts is as before: no brackets", async () => {
    const env = file(await render(V4, "n1"), "/etc/default/etcd");
    expect(env).toContain("ETCD_LISTEN_PEER_URLS=https://192.0.2.1:2380\n");
    expect(env).toContain("ETCD_INITIAL_CLUSTER=n1=https://192.0.2.1:2380\n");
  });

  it("the node certificate names the IPv6 address (IP:2001:db8::1)", async () => {
    const cert = (await render(V6, "n1")).resources.find((r) => r.kind === "certificate" && r.cert.endsWith("/node.crt"));
    expect(cert?.kind === "certificate" && cert.ips).toEqual(["2001:db8::1", "127.0.0.1"]);
  });

  it("tinc is seeded with AddressFamily any on an IPv6 node, ipv4 as before on an IPv4 one", async () => {
    expect(file(await render(V6, "n2"), "/etc/tinc/bgpmesh/tinc.conf")).toMatch(/\nInterface = tinc0\nAddressFamily = any\n$/);
    expect(file(await render(V4, "n2"), "/etc/tinc/bgpmesh/tinc.conf")).toMatch(/\nInterface = tinc0\nAddressFamily = ipv4\n$/);
    expect(file(await render(V6, "n2"), "/etc/tinc/bgpmesh/hosts/n2")).toContain("Address = 2001:db8::2\n");
  });

  it("Prometheus scrapes the nodes at [address]:port", async () => {
    const prom = (await render(V6, "n1")).resources.find((r) => r.kind === "file" && r.path.endsWith("prometheus.yml"));
    const text = prom?.kind === "file" ? String(prom.content) : "";
    expect(text).toMatch(/targets: \["\[2001:db8::2\]:\d+"\]/);
    expect(text).toMatch(/targets: \["\[2001:db8::1\]:\d+"\]/);
    expect(text).not.toMatch(/targets: \["2001/);
  });
});
