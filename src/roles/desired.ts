import type { DesiredHost, Handler, Resource } from "../engine/desired.js";
import { InventoryError, type Inventory } from "../inventory/index.js";
import { Expander } from "./expand.js";
import { hostTable } from "./host-vars.js";
import type { Project } from "./model.js";

/**
 * What one host should look like: the resources of its roles (play order, then role order, then file
 * order) with `when:` applied and every template rendered with its variables, and its roles' handlers.
 * The first problem is an InventoryError naming the role file or template and line; none holds a secret.
 */
export function desiredState(project: Project, inv: Inventory, host: string): DesiredHost {
  const table = hostTable(project, inv);
  const roles = table.roles.get(host);
  if (!roles) throw new InventoryError({ file: inv.file, line: 0, column: 0, host }, `unknown host '${host}'`);
  const scope = table.scope(host);
  const resources: Resource[] = [];
  const byPath = new Map<string, Resource & { path: string }>();
  const handlers = new Map<string, Handler>();
  for (const name of roles) {
    const role = project.roles.get(name);
    if (!role) continue;
    const expander = new Expander(role.renderer, scope, project.pki);
    for (const r of role.resources) {
      const res = expander.resource(r);
      if (!res) continue;
      if (res.kind === "file" || res.kind === "directory") {
        const other = byPath.get(res.path);
        // Two roles may both need a folder: the same folder with the same settings is one resource.
        if (other?.kind === "directory" && res.kind === "directory" && other.owner === res.owner && other.group === res.group && other.mode === res.mode && other.notify.join() === res.notify.join()) continue;
        if (other) {
          throw new InventoryError({ ...r.at, host }, `${res.path} is managed twice on host ${host}: here and at ${other.origin.where}`);
        }
        byPath.set(res.path, res);
      }
      resources.push(res);
    }
    for (const h of role.handlers.values()) {
      const handler = expander.handler(h);
      const same = handlers.get(h.name);
      if (same && same.run !== handler.run) {
        throw new InventoryError({ ...h.at, host }, `handler '${h.name}' is also defined at ${same.origin.where} with another command; host ${host} has both roles`);
      }
      if (!same) handlers.set(h.name, handler);
    }
  }
  return { host, roles, resources, handlers: [...handlers.values()] };
}
