// The shipped roles with mesh_ipv6: what tinc-up, bird.conf and the agent's config become, and
// that an IPv4 mesh's files have no trace of IPv6.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/agent/config.js";
import { loadInventory } from "../../../src/inventory/index.js";
import type { FileResource } from "../../../src/resources/file.js";
import { desiredState, loadProject } from "../../../src/roles/index.js";
import { projectFile } from "../../../src/util/project.js";
import { writeTree } from "../inventory/helpers.js";

const inventory = (vars: string, v6 = vars.includes("mesh_ipv6: true")) => `all:
  vars:
${vars}  children:
    mesh:
      hosts:
        node1: { ansible_host: 192.0.2.11, mesh_address: 10.0.0.11, bgp_announce: [198.51.100.0/26${v6 ? ', "2001:db8:100::/48"' : ""}] }
        node2: { ansible_host: 192.0.2.12, mesh_address: 10.0.0.12 }
    etcd:
      hosts:
        node1:
`;

async function files(vars: string): Promise<Map<string, string>> {
  const dir = await writeTree({ "inventory.yml": inventory(vars) });
  const inv = await loadInventory(`${dir}/inventory.yml`);
  const project = await loadProject(projectFile("site.yml"));
  const state = desiredState(project, inv, "node1");
  return new Map(state.resources.filter((r): r is FileResource => r.kind === "file" && "content" in r).map((r) => [r.path, r.content]));
}

const DUAL = '    mesh_ipv6: true\n    mesh_subnet6: "fd12:3456:789a::/64"\n';

describe("the shipped roles with mesh_ipv6", () => {
  it("tinc-up sets both addresses, then removes any other, and is valid sh", async () => {
    const up = (await files(DUAL)).get("/etc/tinc/bgpmesh/tinc-up")!;
    expect(up).toContain("ip addr replace 10.0.0.11/24 dev \"$INTERFACE\"");
    expect(up).toMatch(/ip -6 addr replace fd12:3456:789a::[0-9a-f]+\/64 dev "\$INTERFACE" nodad/);
    expect(up).toMatch(/10\.0\.0\.11\/24\|fd12:3456:789a::[0-9a-f]+\/64\) ;;/);
    execFileSync("sh", ["-n"], { input: up });
  });

  it("bird.conf gets the IPv6 protocols and template; the IPv4 part is as in an IPv4 mesh", async () => {
    const dual = (await files(DUAL)).get("/etc/bird/bird.conf")!;
    const v4 = (await files("    mesh_ipv6: false\n")).get("/etc/bird/bird.conf")!;
    for (const part of ["protocol kernel kernel6 {", "protocol static bgpmesh_static6 {\n  ipv6;\n  route 2001:db8:100::/48 blackhole;\n}", "template bgp mesh_peer6 {\n  local fd12:3456:789a::"]) {
      expect(dual).toContain(part);
    }
    // The IPv4 static protocol holds the IPv4 prefix only.
    expect(dual).toContain("protocol static bgpmesh_static {\n  ipv4;\n  route 198.51.100.0/26 blackhole;\n}");
    const ipv4Part = (text: string) => text.split(/^# (?:IPv6 \(mesh_ipv6\)|No IPv6)/m)[0];
    expect(ipv4Part(dual)).toBe(ipv4Part(v4));
    expect(ipv4Part(dual)).toContain("template bgp mesh_peer {");
    // Without IPv6: only the stub template for the agent's old IPv6 lines, no IPv6 protocol.
    expect(v4).not.toMatch(/kernel6|static6|direct6|ipv6;/);
    expect(v4).toContain("template bgp mesh_peer6 {\n  local as 65000;\n  neighbor as 65000;\n  direct;\n}");
  });

  it("the agent's config has the IPv6 address, subnet and prefixes, and the agent accepts it", async () => {
    const text = (await files(DUAL)).get("/etc/bgpmesh/agent.json")!;
    const config = parseConfig(text, "agent.json");
    expect(config.meshSubnet6).toBe("fd12:3456:789a::/64");
    expect(config.meshAddress6).toMatch(/^fd12:3456:789a::[0-9a-f]+$/);
    expect(config.prefixes).toEqual(["198.51.100.0/26"]);
    expect(config.prefixes6).toEqual(["2001:db8:100::/48"]);
  });

  it("an IPv4 mesh's agent config has no IPv6 key", async () => {
    const text = (await files("    mesh_ipv6: false\n")).get("/etc/bgpmesh/agent.json")!;
    expect(text).not.toMatch(/meshAddress6|meshSubnet6|prefixes6/);
  });
});
