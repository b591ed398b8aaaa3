import { dirname, join } from "node:path";
import { collectSecrets, type Secret } from "../inventory/index.js";
import { TemplateRenderer } from "../render/index.js";
import { TRUTH_FILTER, truthy } from "./expand.js";
import type { Project, Role } from "./model.js";
import { loadRole } from "./role-file.js";
import { checkRolesExist, readSite } from "./site.js";

export interface ProjectOptions {
  /** where `!env` in role defaults looks; default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads a project: `site.yml` (the path given), and beside it `roles/<name>/role.yml` for every role the
 * plays name and `templates/`. Everything that can be checked without an inventory is checked now (file
 * shapes, handler names, modes, static paths, template files and their syntax), so a run stops at the
 * first mistake, with its file and line, before any host is contacted.
 */
export async function loadProject(siteFile: string, opts: ProjectOptions = {}): Promise<Project> {
  const env = opts.env ?? process.env;
  const dir = dirname(siteFile);
  const site = await readSite(siteFile, dir, env);
  await checkRolesExist(dir, site.roleRefs);
  const templates = join(dir, "templates");
  const renderer = new TemplateRenderer(templates, templates, { [TRUTH_FILTER]: (v: unknown) => String(truthy(v)) });
  const roles = new Map<string, Role>();
  for (const { name } of site.roleRefs) {
    if (!roles.has(name)) roles.set(name, await loadRole(name, { dir, renderer, env }));
  }
  return { siteFile, dir, plays: site.plays, roles, renderer };
}

/** Every secret in the roles' defaults, for scrubbing output (the inventory's are found there). */
export function projectSecrets(project: Project): Secret[] {
  return collectSecrets([...project.roles.values()].map((r) => r.defaults));
}
