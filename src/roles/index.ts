// Projects (site.yml, roles/, templates/) and the desired state of a host; see docs/roles.md.
export { desiredState } from "./desired.js";
export { loadProject, projectSecrets, type ProjectOptions } from "./project.js";
export { rolesOfHost } from "./site.js";
export type { Play, PlayTarget, Project, Role, RoleHandler, RoleResource } from "./model.js";
