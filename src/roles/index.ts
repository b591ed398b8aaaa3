// Projects (site.yml, roles/, templates/) and the desired state of a host; see docs/roles.md.
import type { Inventory, Redactor } from "../inventory/index.js";
import { hostTable } from "./host-vars.js";
import type { Project } from "./model.js";

export { desiredState } from "./desired-state.js";
export { loadProject, projectSecrets, type ProjectOptions } from "./project.js";
export { firstPlayOf, rolesOfHost } from "./site.js";
export type { Play, PlayTarget, Project, Role, RoleHandler, RoleResource, RunKind } from "./model.js";

/** One mask for a run's output: every secret of the inventory (all hosts) and of the roles' defaults. */
export function runRedactor(project: Project, inv: Inventory): Redactor {
  return hostTable(project, inv).redactor;
}

/** Every inventory host's variables as templates see them (role defaults and derived mesh values included). */
export function hostValues(project: Project, inv: Inventory): Map<string, Record<string, unknown>> {
  return hostTable(project, inv).values;
}
