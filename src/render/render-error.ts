import { InventoryError, type SourcePos } from "../inventory/index.js";
import type { RenderScope } from "./scope.js";
import { TemplateProblem } from "./strict.js";

export interface ErrorPlace {
  scope: RenderScope | undefined;
  /** where a line of a template (file name or inline label) is in the user's files */
  placeOf: (template: string, line: number) => SourcePos & { key?: string };
  /** the template to blame when nunjucks does not say which one failed */
  fallback: string;
  /** the template name of a path nunjucks names in a message */
  nameOf: (path: string) => string;
}

/** Each template an error passes through prefixes it with "(path)"; the one where it happened adds "[Line n". */
const NUNJUCKS_PLACE = /\(([^\n]+?)\) \[Line (\d+)/;

/** The errors nunjucks wrapped, outermost first. */
function causes(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause: unknown = e; cause && chain.length < 20; cause = (cause as { cause?: unknown }).cause) chain.push(cause);
  return chain;
}

function describe(p: TemplateProblem, scope: RenderScope | undefined): string {
  const forHost = scope ? ` for host ${scope.host}` : "";
  switch (p.kind) {
    case "syntax":
      return `template syntax error: ${p.detail}`;
    case "filter":
      return `unknown filter '${p.detail}'`;
    case "undefined":
      // A plain name is a variable nobody set; for `a.b` or `a[x]` the variable exists but lacks the key.
      return /^\w+$/.test(p.detail) && scope
        ? `'${p.detail}' is undefined${forHost} ${scope.undefinedHint}`
        : `'${p.detail}' is undefined${forHost}`;
    case "null":
      return `'${p.detail}' is null (set to nothing)${forHost}, and a template cannot print null`;
  }
}

/** The InventoryError for anything thrown while compiling or rendering a template. */
export function renderError(e: unknown, where: ErrorPlace): InventoryError {
  if (e instanceof InventoryError) return e;
  const chain = causes(e);
  const problem = chain.find((c): c is TemplateProblem => c instanceof TemplateProblem);
  const host = where.scope?.host;
  const redact = (text: string) => (where.scope ? where.scope.redactor.redact(text) : text);
  if (problem) {
    const place = where.placeOf(problem.template, problem.line);
    return new InventoryError({ ...place, host }, redact(describe(problem, where.scope)));
  }
  // Anything else (an unknown filter, a failing method call): nunjucks' message of the original error,
  // at the place its own message names.
  const innermost = chain[chain.length - 1] as { message?: unknown } | undefined;
  const message = String(innermost?.message ?? e).replace(/^Error: /, "");
  const at = NUNJUCKS_PLACE.exec(String((e as { message?: unknown }).message ?? ""));
  const place = at ? where.placeOf(where.nameOf(at[1] ?? ""), Number(at[2])) : where.placeOf(where.fallback, 0);
  return new InventoryError({ ...place, host }, redact(`template error: ${message}`));
}
