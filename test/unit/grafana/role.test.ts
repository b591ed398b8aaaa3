import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { DesiredHost } from "../../../src/model/resource.js";
import { loadInventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject } from "../../../src/roles/index.js";
import { projectFile } from "../../../src/util/project.js";
import { inventoryError, writeTree } from "../inventory/helpers.js";

// The play site.yml gives the group `grafana` (optional: an inventory may have no such group). The
// role is found among the shipped ones, since there is no roles/grafana beside this site file.
const SITE = "- hosts: grafana\n  roles: [grafana]\n  optional: true\n";

const SOURCE = "deb [signed-by=/etc/apt/keyrings/grafana.asc] https://apt.grafana.com stable main";
const KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGTnhmkBDADUE+SzjRRyitIm1siGxiHlIlnn\n-----END PGP PUBLIC KEY BLOCK-----\n";

function inventory(grafanaVars = "", monitoring = "        mon1: { ansible_host: 192.0.2.10 }\n"): string {
  return `all:
  children:
${monitoring ? `    monitoring:\n      hosts:\n${monitoring}` : ""}    grafana:
      hosts:
        graf1: { ansible_host: 192.0.2.20 }
${grafanaVars ? `      vars:\n${grafanaVars}` : ""}`;
}

async function render(inv: string, extra: Record<string, string> = {}): Promise<DesiredHost> {
  const dir = await writeTree({ "site.yml": SITE, "inventory.yml": inv, ...extra });
  return desiredState(await loadProject(`${dir}/site.yml`), await loadInventory(`${dir}/inventory.yml`), "graf1");
}

const files = (d: DesiredHost) => new Map(d.resources.flatMap((r) => (r.kind === "file" ? [[r.path, r] as const] : [])));
const dirs = (d: DesiredHost) => new Map(d.resources.flatMap((r) => (r.kind === "directory" ? [[r.path, r] as const] : [])));
const commands = (d: DesiredHost) => d.resources.flatMap((r) => (r.kind === "command" ? [r] : []));

const DATASOURCE = "/etc/grafana/provisioning/datasources/bgpmesh.yml";
const PROVIDER = "/etc/grafana/provisioning/dashboards/bgpmesh.yml";
const DASHBOARD = "/etc/grafana/dashboards/bgpmesh/bgpmesh.json";

describe("the grafana role, for a host of the group `grafana`", () => {
  it("provisions a Prometheus data source: the first host of the group `monitoring`, on its port", async () => {
    const d = await render(inventory());
    const ds = parse(files(d).get(DATASOURCE)!.content);
    expect(ds).toEqual({
      apiVersion: 1,
      datasources: [
        {
          name: "bgpmesh Prometheus",
          uid: "bgpmesh-prometheus",
          type: "prometheus",
          access: "proxy",
          url: "http://192.0.2.10:9090",
          isDefault: false,
          editable: false,
          jsonData: { timeInterval: "15s" },
        },
      ],
    });
    // The monitoring host's own port, an IPv6 address in brackets, and the URL the inventory gives.
    const moved = await render(inventory("", '        mon1: { ansible_host: "2001:db8::10", monitoring_port: 9091 }\n        mon2:\n'));
    expect(parse(files(moved).get(DATASOURCE)!.content).datasources[0].url).toBe("http://[2001:db8::10]:9091");
    const given = await render(inventory("        grafana_prometheus_url: https://prom.example.net\n"));
    expect(parse(files(given).get(DATASOURCE)!.content).datasources[0].url).toBe("https://prom.example.net");
  });

  it("fails, naming grafana_prometheus_url, when there is no monitoring host and no URL", async () => {
    const dir = await writeTree({ "site.yml": SITE, "inventory.yml": inventory("", "") });
    const err = await inventoryError(async () => desiredState(await loadProject(`${dir}/site.yml`), await loadInventory(`${dir}/inventory.yml`), "graf1"), dir);
    expect(err.shown).toMatch(/datasource\.yml\.njk:\d+: 'grafana_prometheus_url' is undefined for host graf1/);
  });

  it("installs the dashboard as it is in the repository, and a provider reading its folder", async () => {
    const d = await render(inventory());
    const f = files(d);
    expect(f.get(DASHBOARD)!.content).toBe(readFileSync(projectFile("roles/grafana/files/bgpmesh-dashboard.json"), "utf8"));
    expect(parse(f.get(PROVIDER)!.content)).toMatchObject({
      apiVersion: 1,
      providers: [{ name: "bgpmesh", type: "file", folder: "bgpmesh", allowUiUpdates: false, options: { path: "/etc/grafana/dashboards/bgpmesh" } }],
    });
    // Grafana reads provisioning files when it starts; the provider re-reads the dashboard by itself.
    expect(f.get(DATASOURCE)!.notify).toEqual(["restart grafana"]);
    expect(f.get(PROVIDER)!.notify).toEqual(["restart grafana"]);
    expect(f.get(DASHBOARD)!.notify).toEqual([]);
    expect(d.handlers.find((h) => h.name === "restart grafana")!.run).toBe(
      "if systemctl is-active --quiet grafana-server; then systemctl restart grafana-server; fi",
    );
  });

  it("gives the files the owner, group and modes Grafana's package gives everything under /etc/grafana", async () => {
    const d = await render(inventory());
    for (const path of [DATASOURCE, PROVIDER, DASHBOARD]) expect(files(d).get(path), path).toMatchObject({ owner: "root", group: "grafana", mode: "0640" });
    expect([...dirs(d).keys()]).toEqual(["/etc/grafana/provisioning/datasources", "/etc/grafana/provisioning/dashboards", "/etc/grafana/dashboards/bgpmesh"]);
    for (const dir of dirs(d).values()) expect(dir).toMatchObject({ owner: "root", group: "grafana", mode: "0755" });
    // The group first, so that the files can belong to it before Grafana is installed.
    expect(d.resources[0]).toMatchObject({ kind: "command", run: "groupadd --system grafana", unless: "getent group grafana" });
  });

  it("without a package source: the files only, no apt source, no install, no service", async () => {
    const d = await render(inventory());
    expect([...files(d).keys()]).toEqual([DATASOURCE, PROVIDER, DASHBOARD]);
    expect(commands(d).map((c) => c.name)).toEqual(["group grafana"]);
    expect(d.resources.some((r) => r.kind === "package" || r.kind === "service")).toBe(false);
  });

  it("with a package source and its key: writes both, then installs and starts Grafana", async () => {
    const d = await render(inventory(`        grafana_apt_source: "${SOURCE}"\n        grafana_apt_key: !file grafana.asc\n`), { "grafana.asc": KEY });
    const f = files(d);
    expect(f.get("/etc/apt/sources.list.d/grafana.list")).toMatchObject({ content: `${SOURCE}\n`, mode: "0644", notify: ["refresh grafana apt lists"] });
    expect(f.get("/etc/apt/keyrings/grafana.asc")).toMatchObject({ content: KEY, mode: "0644", notify: ["refresh grafana apt lists"] });
    expect(dirs(d).get("/etc/apt/keyrings")).toMatchObject({ owner: "root", group: "root", mode: "0755" });
    const [, install, start] = commands(d);
    expect(install).toMatchObject({ name: "install grafana", unless: "dpkg-query -W -f='${db:Status-Abbrev}' grafana | grep -q '^ii'" });
    expect(install!.run).toMatch(/apt-get .* update >&2 && apt-get .* install --no-install-recommends grafana >&2$/);
    expect(start).toMatchObject({ name: "start grafana-server", run: "systemctl daemon-reload && systemctl enable --now grafana-server" });
    // The source is written before the install that needs it, the install before the start.
    const at = (match: (r: DesiredHost["resources"][number]) => boolean) => d.resources.findIndex(match);
    const list = at((r) => r.kind === "file" && r.path === "/etc/apt/sources.list.d/grafana.list");
    const key = at((r) => r.kind === "file" && r.path === "/etc/apt/keyrings/grafana.asc");
    expect(key).toBeLessThan(at((r) => r === install));
    expect(list).toBeLessThan(at((r) => r === install));
    expect(at((r) => r === install)).toBeLessThan(at((r) => r === start));
    expect(d.handlers.find((h) => h.name === "refresh grafana apt lists")!.run).toContain("-o Dir::Etc::sourcelist=/etc/apt/sources.list.d/grafana.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0");
  });

  it("with a package source but no key (a source apt already trusts): no key file", async () => {
    const d = await render(inventory(`        grafana_apt_source: "deb https://mirror.example/grafana stable main"\n        grafana_package: grafana-enterprise\n`));
    expect(files(d).has("/etc/apt/keyrings/grafana.asc")).toBe(false);
    expect(dirs(d).has("/etc/apt/keyrings")).toBe(false);
    expect(files(d).get("/etc/apt/sources.list.d/grafana.list")!.content).toBe("deb https://mirror.example/grafana stable main\n");
    expect(commands(d).map((c) => c.name)).toEqual(["group grafana", "install grafana-enterprise", "start grafana-server"]);
  });

  it("follows grafana_group and grafana_dashboards_dir", async () => {
    const d = await render(inventory("        grafana_group: monitoring-ro\n        grafana_dashboards_dir: /srv/dashboards/bgpmesh\n"));
    expect(files(d).get("/srv/dashboards/bgpmesh/bgpmesh.json")).toMatchObject({ group: "monitoring-ro", mode: "0640" });
    expect(parse(files(d).get(PROVIDER)!.content).providers[0].options.path).toBe("/srv/dashboards/bgpmesh");
    expect(commands(d)[0]).toMatchObject({ run: "groupadd --system monitoring-ro", unless: "getent group monitoring-ro" });
  });
});
