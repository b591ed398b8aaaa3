import { loadInventory, type Inventory } from "../../../src/inventory/index.js";
import { desiredState, loadProject, type Project } from "../../../src/roles/index.js";
import { inventoryError, writeTree } from "../inventory/helpers.js";

export const FIXTURE = "test/fixtures/project";

/** Two hosts: a in group g (with a secret), b only in all. */
export const SMALL_INVENTORY = `all:
  hosts:
    b: { ansible_host: 192.0.2.2 }
  children:
    g:
      hosts:
        a: { ansible_host: 192.0.2.1, a_token: !secret a-T0KEN-LEAK }
`;

/** A project with one role `t` played on all hosts: its role.yml, and templates by path under templates/. */
export function oneRole(roleYaml: string, templates: Record<string, string> = {}, site = "- hosts: all\n  roles: [t]\n"): Record<string, string> {
  const files: Record<string, string> = { "site.yml": site, "roles/t/role.yml": roleYaml };
  for (const [path, text] of Object.entries(templates)) files[`templates/${path}`] = text;
  return files;
}

/** Writes a project (and an inventory.yml) to a temp dir and loads both. */
export async function setup(files: Record<string, string>, inventory = SMALL_INVENTORY): Promise<{ dir: string; project: Project; inv: Inventory }> {
  const dir = await writeTree({ "inventory.yml": inventory, ...files });
  const inv = await loadInventory(`${dir}/inventory.yml`);
  const project = await loadProject(`${dir}/site.yml`);
  return { dir, project, inv };
}

/** The message an operation fails with, with the temp dir cut so it reads as the user would see it. */
export async function failure(run: () => unknown, dir: string): Promise<string> {
  return (await inventoryError(run, dir)).shown;
}

/** The message loading a project (or rendering host `a`, if loading works) fails with. */
export async function projectFailure(files: Record<string, string>, inventory = SMALL_INVENTORY): Promise<string> {
  const dir = await writeTree({ "inventory.yml": inventory, ...files });
  return failure(async () => {
    const inv = await loadInventory(`${dir}/inventory.yml`);
    desiredState(await loadProject(`${dir}/site.yml`), inv, "a");
  }, dir);
}
