// A role's resource or handler for one host: `when:` decided, every string rendered, paths checked.
// Each form renders its own settings (src/resources/<kind>.ts) through the ExpandApi made here.
import type { Handler, Resource } from "../model/resource.js";
import { InventoryError } from "../inventory/index.js";
import { containsSecret, type RenderScope, type TemplateRenderer } from "../render/index.js";
import type { ExpandApi } from "../resources/kind.js";
import { formOf } from "../resources/registry.js";
import type { RoleHandler, RoleResource, Str, When } from "./model.js";
import { absolutePathProblem, normalizePath } from "./paths.js";
import { templateMissing } from "./resource-parse.js";

const FALSE_WORDS = new Set(["", "false", "no", "off", "0", "none", "null", "undefined"]);
export const TRUTH_FILTER = "__bgpmesh_truth";

/** How a `when:` result reads as a condition: YAML-ish words count, like Ansible's bare variables. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return !FALSE_WORDS.has(String(value).trim().toLowerCase());
}

export class Expander {
  constructor(
    readonly renderer: TemplateRenderer,
    readonly scope: RenderScope,
    readonly pki: { caPem?: string; renew: boolean } = { renew: false },
  ) {}

  #error(at: Str["at"], problem: string): InventoryError {
    return new InventoryError({ ...at, host: this.scope.host }, this.scope.redactor.redact(`${problem} (for host ${this.scope.host})`));
  }

  render(s: Str): string {
    return this.renderer.renderString(s.text, this.scope, s.at);
  }

  path(s: Str): string {
    const path = this.render(s);
    const problem = absolutePathProblem(path);
    if (problem) throw this.#error(s.at, problem);
    return normalizePath(path);
  }

  /** `when: "{{ x }}"` is rendered; `when: x and y` is an expression, as in Ansible. */
  keep(when: When | undefined): boolean {
    if (when === undefined || typeof when === "boolean") return when ?? true;
    const template = /{{|{%/.test(when.text) ? when.text : `{{ (${when.text}) | ${TRUTH_FILTER} }}`;
    return truthy(this.render({ text: template, at: when.at }));
  }

  resource(r: RoleResource): Resource | undefined {
    if (!this.keep(r.when)) return undefined;
    const api: ExpandApi = {
      render: (s) => this.render(s),
      path: (s) => this.path(s),
      error: (at, problem) => this.#error(at, problem),
      renderTemplate: (s) => {
        const src = this.render(s);
        if (!this.renderer.fileOf(src)) throw this.#error(s.at, templateMissing(this.renderer, src));
        return { text: this.renderer.renderFile(src, this.scope).text, source: `template:${src}` };
      },
      holdsSecret: (text) => containsSecret(text, this.scope.secretValues),
      pki: this.pki,
      origin: { where: r.where },
    };
    return formOf(r.form)!.expand(r.item, api);
  }

  handler(h: RoleHandler): Handler {
    let run: string;
    if ("service" in h.action) {
      const unit = this.render(h.action.service);
      // The name goes into a shell command: a unit name never needs quoting, anything else is a mistake.
      if (!/^[A-Za-z0-9@._:\\-]+$/.test(unit)) {
        throw this.#error(h.action.service.at, `not a systemd unit name: ${JSON.stringify(unit)}`);
      }
      run = `systemctl ${h.action.verb} ${unit}`;
    } else run = this.render(h.action.command);
    return {
      name: h.name,
      run,
      ...(h.rolling && {
        rolling: { size: h.rolling.size, ...(h.rolling.if && { if: this.render(h.rolling.if) }), ...(h.rolling.jitterSec !== undefined && { jitterSec: h.rolling.jitterSec }) },
      }),
      ...(h.wait && { wait: { command: this.render(h.wait.command), timeoutSec: h.wait.timeoutSec } }),
      origin: { where: h.where },
    };
  }
}
