// A project as loaded and checked: the play list and the roles, with every string still a template
// (rendered per host by expand.ts) and every part knowing where it was written.
import type { SourcePos, VarSet } from "../inventory/index.js";
import type { TemplateRenderer } from "../render/index.js";
import type { RollingSize } from "../model/resource.js";
import type { Str, When } from "../resources/kind.js";

export type { Str, When };

/**
 * One `resources:` item of a role file: where it is, its `when:`, and what its form (the key it
 * starts with, e.g. `template`) parsed from its settings, to be expanded per host by that form.
 */
export interface RoleResource {
  form: string;
  /** project-relative, e.g. "roles/demo/role.yml:12": the resource's Origin.where */
  where: string;
  /** the item's place as the user named the file, for errors */
  at: SourcePos;
  when?: When;
  /** its `tags:`: a run that needs only one duty of a host keeps only the resources tagged with it */
  tags?: string[];
  item: unknown;
}

export interface RoleHandler {
  name: string;
  /** a unit to restart or reload, or a shell command */
  action: { service: Str; verb: "restart" | "reload" } | { command: Str };
  /** `serial`, `serial_if` and `jitter` as written; the test is still a template */
  rolling?: { size: RollingSize; if?: Str; jitterSec?: number };
  wait?: { command: Str; timeoutSec: number };
  tags?: string[];
  where: string;
  at: SourcePos;
}

export interface Role {
  name: string;
  /** role.yml as the user would name it (under the site file's folder) */
  file: string;
  /** role.yml relative to the project folder, e.g. "roles/demo/role.yml" */
  rel: string;
  defaults: VarSet;
  resources: RoleResource[];
  /** by name, in file order */
  handlers: Map<string, RoleHandler>;
  /** renders the templates of the folder the role was found in */
  renderer: TemplateRenderer;
}

export interface PlayTarget {
  /** a group, a host or "all" */
  name: string;
  at: SourcePos & { key: string };
}

export interface Play {
  hosts: PlayTarget[];
  roles: string[];
  /** its groups may be absent from the inventory */
  optional: boolean;
}

export interface Project {
  /** the site file as given */
  siteFile: string;
  /** the folder holding site.yml, roles/ and templates/, as given */
  dir: string;
  plays: Play[];
  /** every role a play names, in order of first mention */
  roles: Map<string, Role>;
  renderer: TemplateRenderer;
  /** templates see it as `bgpmesh_run_kind`: a pull runs on the node, from the tool installed there */
  runKind: RunKind;
  /** run inputs for certificate resources: the mesh CA (a push has it) and `apply --renew-certs` */
  pki: { caPem?: string; renew: boolean };
}

export type RunKind = "push" | "pull";
