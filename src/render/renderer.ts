import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import nunjucks from "nunjucks";
import { InventoryError, type SourcePos } from "../inventory/index.js";
import { CompileCache } from "./compile-cache.js";
import { compileTemplateCode, parseTemplate, templateProps } from "./nunjucks-internals.js";
import { containsSecret, type RenderScope } from "./scope.js";
import { checkFilters, rewriteStrict, TemplateProblem } from "./strict.js";
import { renderError } from "./render-error.js";

/** A string from a role file that may hold `{{ }}`: where it was written, to name in errors. */
export interface StringSource extends SourcePos {
  /** e.g. "resources[3].command.run" */
  key: string;
  /** the file line of the string's first line (a YAML block scalar starts on the line after its key) */
  firstLine?: number;
}

export interface RenderedFile {
  text: string;
  /** the text holds a secret value */
  secret: boolean;
}

const TEMPLATE_SYNTAX = /{{|{%|{#/;
// As Ansible's template module has it: a block tag does not leave its line break behind.
const PARSE_OPTIONS = { trimBlocks: true };

/** Whether a string needs rendering at all. */
export function hasTemplateSyntax(text: string): boolean {
  return TEMPLATE_SYNTAX.test(text);
}
type Props = Record<string, unknown>;
type CodeSource = { type: "code"; obj: Props };

/**
 * Renders the project's templates (`templates/`) and the `{{ }}` strings of role files with one host's
 * variables, strictly: see strict.ts. Every error is an InventoryError at the template's or role
 * file's line, scrubbed of secret values.
 */
export class TemplateRenderer {
  readonly env: nunjucks.Environment;
  readonly #loader: nunjucks.FileSystemLoader;
  readonly #inline = new Map<string, Props>();
  #cache: CompileCache | undefined | null = null;

  /**
   * @param shownDir the templates folder as the user would name it, for messages
   * @param filters extra filters, e.g. the one `when:` conditions use
   */
  constructor(
    readonly templatesDir: string,
    readonly shownDir: string = templatesDir,
    filters: Record<string, (...args: never[]) => unknown> = {},
  ) {
    // A template is read for every host that renders it (noCache: a file changed on disk is read
    // again) but compiled once for the text it has: compiling was most of a no-change run's
    // rendering (a second of controller CPU for 24 hosts of the shipped site).
    const compiled = new Map<string, { src: string; props: Props }>();
    const compile = (src: string, name: string) => {
      const known = compiled.get(name);
      if (known?.src === src) return known.props;
      const props = this.#compile(src, name);
      compiled.set(name, { src, props });
      return props;
    };
    // A FileSystemLoader (search path, no escaping the folder) whose templates are compiled the strict way.
    class StrictLoader extends nunjucks.FileSystemLoader {
      override getSource(name: string): nunjucks.LoaderSource {
        const source = super.getSource(name) as nunjucks.LoaderSource | null;
        if (!source) return source as unknown as nunjucks.LoaderSource;
        const code: CodeSource = { type: "code", obj: compile(source.src, name) };
        return { ...source, src: code as unknown as string };
      }
    }
    this.#loader = new StrictLoader(templatesDir, { noCache: true });
    // dev: nunjucks then keeps the original error as the `cause` of the one it throws, which is how
    // renderError finds the check's TemplateProblem.
    this.env = new nunjucks.Environment(this.#loader, { autoescape: false, throwOnUndefined: true, ...PARSE_OPTIONS, noCache: true, dev: true });
    for (const [name, fn] of Object.entries({ ...filters, ...checkFilters })) this.env.addFilter(name, fn as (...args: unknown[]) => unknown);
  }

  /** The template file a `src` names, or undefined when there is none (or it would be outside the folder). */
  fileOf(src: string): string | undefined {
    const base = resolve(this.templatesDir);
    const path = resolve(base, src);
    if (!path.startsWith(`${base}/`)) return undefined;
    return statSync(path, { throwIfNoEntry: false })?.isFile() ? path : undefined;
  }

  /** Parses and compiles a template now, so a syntax error shows before any host is rendered. */
  check(src: string): void {
    try {
      this.#loader.getSource(src);
    } catch (e) {
      throw this.#error(e, undefined, src);
    }
  }

  renderFile(src: string, scope: RenderScope): RenderedFile {
    let text: string;
    try {
      text = this.env.getTemplate(src).render(scope.context);
    } catch (e) {
      throw this.#error(e, scope, src);
    }
    return { text, secret: containsSecret(text, scope.secretValues) };
  }

  /** Renders a role file string; strings without template syntax are returned as they are. */
  renderString(text: string, scope: RenderScope, at: StringSource): string {
    if (!hasTemplateSyntax(text)) return text;
    // A label that cannot be a template file name, to tell this string's problems from its includes'.
    const label = `\0${at.file}:${at.line}:${at.column}`;
    try {
      let props = this.#inline.get(`${label}\0${text}`);
      if (!props) {
        props = this.#compile(text, label);
        this.#inline.set(`${label}\0${text}`, props);
      }
      const code: CodeSource = { type: "code", obj: props };
      return new nunjucks.Template(code as unknown as string, this.env, label).render(scope.context);
    } catch (e) {
      throw this.#error(e, scope, undefined, { label, at });
    }
  }

  #compile(src: string, name: string): Props {
    const filters = (this.env as unknown as { filters: Record<string, unknown> }).filters;
    // Opened at the first compile, when every filter has been added: the filters are part of its key.
    if (this.#cache === null) this.#cache = CompileCache.open(import.meta.url, JSON.stringify([PARSE_OPTIONS, Object.keys(filters).sort()]));
    const kept = this.#cache?.get(name, src);
    if (kept !== undefined) {
      try {
        return templateProps(kept);
      } catch {
        // a damaged entry: compile the text again, below
      }
    }
    let ast;
    try {
      // The parser, not the Environment, applies trimBlocks: it must get the option itself.
      ast = parseTemplate(src, name, PARSE_OPTIONS);
    } catch (e) {
      const err = e as { lineno?: number; message?: string };
      const message = String(err.message ?? e).replace(/^\(.*?\)( \[Line \d+(, Column \d+)?\])?\s*/, "");
      throw new TemplateProblem(name, err.lineno ?? 0, "syntax", message);
    }
    const code = compileTemplateCode(rewriteStrict(ast, name, (f) => Object.hasOwn(filters, f)), name, true);
    this.#cache?.put(name, src, code);
    return templateProps(code);
  }

  #error(e: unknown, scope: RenderScope | undefined, src?: string, inline?: { label: string; at: StringSource }): InventoryError {
    return renderError(e, {
      scope,
      // A problem in a template file is shown at that file (an include's, if it happened there).
      placeOf: (template, line) => {
        if (inline && template === inline.label) {
          const first = inline.at.firstLine ?? inline.at.line;
          const onFirst = line <= 1 && first === inline.at.line;
          return { file: inline.at.file, line: first + Math.max(line, 1) - 1, column: onFirst ? inline.at.column : 0, key: inline.at.key };
        }
        return { file: join(this.shownDir, template), line, column: 0 };
      },
      fallback: src ?? inline?.label ?? "",
      nameOf: (path) => {
        const base = resolve(this.templatesDir);
        return path.startsWith(`${base}/`) ? path.slice(base.length + 1) : path;
      },
    });
  }
}
