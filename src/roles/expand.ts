// A role's resource or handler for one host: `when:` decided, every string rendered, paths checked.
import { existsSync, readFileSync } from "node:fs";
import type { Handler, Resource } from "../engine/desired.js";
import { isText } from "../resources/content.js";
import { InventoryError } from "../inventory/index.js";
import { containsSecret, type RenderScope, type TemplateRenderer } from "../render/index.js";
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
    const origin = { where: r.where };
    switch (r.kind) {
      case "package":
        return { kind: r.kind, names: r.names.map((n) => this.render(n)), origin };
      case "directory":
        return { kind: r.kind, path: this.path(r.path), owner: this.render(r.owner), group: this.render(r.group), mode: r.mode, notify: r.notify, origin };
      case "template":
      case "copy": {
        const dest = this.path(r.dest);
        let content: string;
        let source = "content";
        let binary = false;
        if (r.kind === "template") {
          const src = this.render(r.src);
          if (!this.renderer.fileOf(src)) throw this.#error(r.src.at, templateMissing(this.renderer, src));
          content = this.renderer.renderFile(src, this.scope).text;
          source = `template:${src}`;
        } else if (r.file) {
          // A project file is copied as it is: no variables, and bytes that are not text go as base64.
          if (!existsSync(r.file.text)) throw this.#error(r.file.at, fileMissing(r.file.text));
          const bytes = readFileSync(r.file.text);
          binary = !isText(bytes);
          content = binary ? bytes.toString("base64") : bytes.toString("utf8");
          source = `file:${r.file.text}`;
        } else content = this.render(r.content!);
        return {
          kind: "file",
          path: dest,
          content,
          ...(binary && { binary: true }),
          owner: this.render(r.owner),
          group: this.render(r.group),
          mode: r.mode,
          ...(r.validate && { validate: this.render(r.validate) }),
          ...(r.force === false && { force: false }),
          notify: r.notify,
          secret: containsSecret(content, this.scope.secretValues),
          source,
          origin,
        };
      }
      case "service":
        return { kind: r.kind, name: this.render(r.name), ...(r.enabled !== undefined && { enabled: r.enabled }), ...(r.state && { state: r.state }), notify: r.notify, origin };
      case "command":
        return {
          kind: r.kind,
          name: this.render(r.name),
          run: this.render(r.run),
          ...(r.creates && { creates: this.path(r.creates) }),
          ...(r.unless && { unless: this.render(r.unless) }),
          notify: r.notify,
          origin,
        };
      case "certificate": {
        const names = (list: Str[]) => list.map((n) => this.render(n).trim()).filter(Boolean);
        const days = (s: Str, min: number) => {
          const n = Number(this.render(s));
          if (!Number.isInteger(n) || n < min) throw this.#error(s.at, `expected a whole number of days, at least ${min}`);
          return n;
        };
        const commonName = this.render(r.commonName);
        if (!/^[A-Za-z0-9_.@-]+$/.test(commonName)) throw this.#error(r.commonName.at, `not a usable certificate name: ${JSON.stringify(commonName)}`);
        return {
          kind: r.kind,
          key: this.path(r.key),
          cert: this.path(r.cert),
          ...(r.ca && { ca: this.path(r.ca) }),
          ...(this.pki.caPem && { caPem: this.pki.caPem }),
          commonName,
          ips: names(r.ips),
          dns: names(r.dns),
          group: this.render(r.group),
          days: days(r.days, 1),
          renewDays: days(r.renewDays, 0),
          ...(this.pki.renew && { renew: true }),
          notify: r.notify,
          origin,
        };
      }
    }
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
      ...(h.serial !== undefined && { serial: h.serial === true ? true : this.render(h.serial) }),
      ...(h.wait && { wait: { command: this.render(h.wait.command), timeoutSec: h.wait.timeoutSec } }),
      origin: { where: h.where },
    };
  }
}

function fileMissing(path: string): string {
  const built = /\/dist\//.test(path) ? " (run npm run build)" : "";
  return `file '${path}' not found${built}`;
}
