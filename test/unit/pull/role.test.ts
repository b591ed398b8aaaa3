import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject, type RunKind } from "../../../src/roles/index.js";
import { projectFile } from "../../../src/util/project.js";
import { writeTree } from "../inventory/helpers.js";

const INVENTORY = `all:
  children:
    mesh:
      hosts:
        node1: { ansible_host: 192.0.2.11 }
    etcd:
      hosts:
        node1:
    pull:
      hosts:
        node1:
      vars:
        pull_repo_url: !secret https://ops:pull-T0KEN@git.example/cfg.git
        pull_interval_minutes: 60
`;

async function files(runKind: RunKind, inventory = INVENTORY): Promise<Map<string, { content: string; mode?: string; secret?: boolean }>> {
  const dir = await writeTree({ "inventory.yml": inventory });
  const inv = await loadInventory(`${dir}/inventory.yml`);
  const project = await loadProject(projectFile("site.yml"), { runKind });
  const out = new Map();
  for (const r of desiredState(project, inv, "node1").resources) if (r.kind === "file") out.set(r.path, r);
  return out;
}

describe("the pull role, as the shipped site.yml gives it to hosts of the group `pull`", () => {
  it("writes the cron entry, the unit and a root-only file holding the repository address", async () => {
    const f = await files("push");
    expect(f.get("/etc/cron.d/bgpmesh-pull")!.content).toContain("\n0 * * * * root systemctl start bgpmesh-pull.service\n");
    const unit = f.get("/etc/systemd/system/bgpmesh-pull.service")!.content;
    expect(unit).toMatch(/ExecStart=\/usr\/local\/bin\/bgpmesh-provision pull --repo \$\{BGPMESH_PULL_REPO\} --branch main --inventory inventory.yml --host node1 --sleep 60 --only-if-changed/);
    expect(unit).not.toContain("T0KEN");
    expect(f.get("/etc/bgpmesh/pull.env")).toMatchObject({ mode: "0600", secret: true });
    expect(f.has("/usr/local/lib/bgpmesh-provision.tgz")).toBe(true);
  });

  it("leaves the tool's own archive out when a pull applies it: only a push ships the code", async () => {
    const f = await files("pull");
    expect(f.has("/usr/local/lib/bgpmesh-provision.tgz")).toBe(false);
    expect(f.has("/etc/cron.d/bgpmesh-pull")).toBe(true);
  });

  it("takes a whole cron schedule instead of the interval", async () => {
    const f = await files("push", INVENTORY.replace("pull_interval_minutes: 60", 'pull_cron_schedule: "30 3 * * *"'));
    expect(f.get("/etc/cron.d/bgpmesh-pull")!.content).toContain("\n30 3 * * * root systemctl start bgpmesh-pull.service\n");
  });
});
