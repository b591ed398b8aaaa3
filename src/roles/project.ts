import { dirname, join, resolve } from "node:path";
import { collectSecrets, type Secret } from "../inventory/index.js";
import { TemplateRenderer } from "../render/index.js";
import { TRUTH_FILTER, truthy } from "./expand.js";
import type { Project, Role, RunKind } from "./model.js";
import { loadRole } from "./role-file.js";
import { findRoleDirs, readSite } from "./site.js";
import { PROJECT_ROOT } from "../util/project.js";

export interface ProjectOptions {
  /** where `!env` in role defaults looks; default process.env */
  env?: NodeJS.ProcessEnv;
  /** where roles not in the site file's folder are looked for; default the roles shipped with the tool */
  fallbackDir?: string;
  runKind?: RunKind;
}

/**
 * Reads a project: `site.yml` (the path given), and for every role the plays name the first
 * `roles/<name>/role.yml` found beside it or else among the roles shipped with the tool, so a
 * configuration repository can hold its own roles and still use the shipped ones. A role's templates
 * (`templates/`) and `copy: file:` paths are those of the folder its role file was found in.
 * Everything that can be checked without an inventory is checked now (file shapes, handler names,
 * modes, static paths, template files and their syntax), so a run stops at the first mistake, with
 * its file and line, before any host is contacted.
 */
export async function loadProject(siteFile: string, opts: ProjectOptions = {}): Promise<Project> {
  const env = opts.env ?? process.env;
  const dir = dirname(siteFile);
  const fallback = opts.fallbackDir ?? PROJECT_ROOT;
  const site = await readSite(siteFile, dir, env);
  const searched = resolve(dir) === resolve(fallback) ? [dir] : [dir, fallback];
  const roleDirs = await findRoleDirs(searched, site.roleRefs);
  const renderers = new Map<string, TemplateRenderer>();
  const rendererOf = (d: string): TemplateRenderer => {
    let r = renderers.get(d);
    if (!r) {
      const templates = join(d, "templates");
      renderers.set(d, (r = new TemplateRenderer(templates, templates, { [TRUTH_FILTER]: (v: unknown) => String(truthy(v)) })));
    }
    return r;
  };
  const roles = new Map<string, Role>();
  for (const { name } of site.roleRefs) {
    const roleDir = roleDirs.get(name)!;
    if (!roles.has(name)) roles.set(name, await loadRole(name, { dir: roleDir, renderer: rendererOf(roleDir), env }));
  }
  return { siteFile, dir, plays: site.plays, roles, renderer: rendererOf(dir), runKind: opts.runKind ?? "push", pki: { renew: false } };
}

/** Every secret in the roles' defaults, for scrubbing output (the inventory's are found there). */
export function projectSecrets(project: Project): Secret[] {
  return collectSecrets([...project.roles.values()].map((r) => r.defaults));
}
