import { DEFAULT_RELEASE, releaseVars } from "../fields/releases.js";
import type { DesiredHost, Handler, Resource } from "../model/resource.js";
import { kindOf } from "../resources/registry.js";
import { InventoryError, type Inventory } from "../inventory/index.js";
import { Expander } from "./expand.js";
import { hostTable } from "./host-vars.js";
import type { Project } from "./model.js";

/**
 * What one host should look like: the resources of its roles (play order, then role order, then file
 * order) with `when:` applied and every template rendered with its variables, and its roles' handlers.
 * The first problem is an InventoryError naming the role file or template and line; none holds a secret.
 *
 * `facts`: the host's own, as template variables (fields/releases.ts releaseVars); before the host
 * has told its release, the default release's.
 *
 * `only`: a host in the run for one duty (src/mesh/also-needed.ts) gets only the resources tagged
 * with it and the handlers they notify (or that carry the tag); nothing else of its roles is even
 * rendered, so neither the rest of its plan nor the run's -e values reach it.
 */
export function desiredState(project: Project, inv: Inventory, host: string, only?: string, facts?: Record<string, unknown>): DesiredHost {
  const table = hostTable(project, inv);
  const roles = table.roles.get(host);
  if (!roles) throw new InventoryError({ file: inv.file, line: 0, column: 0, host }, `unknown host '${host}'`);
  const scope = table.scope(host, facts ?? releaseVars(DEFAULT_RELEASE));
  const resources: Resource[] = [];
  const byPath = new Map<string, Resource>();
  const handlers = new Map<string, Handler>();
  for (const name of roles) {
    const role = project.roles.get(name);
    if (!role) continue;
    const expander = new Expander(role.renderer, scope, project.pki);
    const notified = new Set<string>();
    for (const r of role.resources) {
      if (only !== undefined && !r.tags?.includes(only)) continue;
      const res = expander.resource(r);
      if (!res) continue;
      const kind = kindOf(res.kind);
      const path = kind.path?.(res);
      if (path !== undefined) {
        const other = byPath.get(path);
        // Two roles may both need a folder: what the kind calls the same resource is kept once.
        if (other?.kind === res.kind && kind.same?.(other, res)) continue;
        if (other) {
          throw new InventoryError({ ...r.at, host }, `${path} is managed twice on host ${host}: here and at ${other.origin.where}`);
        }
        byPath.set(path, res);
      }
      resources.push(res);
      for (const n of res.notify ?? []) notified.add(n);
    }
    for (const h of role.handlers.values()) {
      if (only !== undefined && !notified.has(h.name) && !h.tags?.includes(only)) continue;
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
