// Strict undefined, the way Ansible's Jinja2 (StrictUndefined) has it: using a variable that nothing
// defines is an error, except under `is defined` / `is undefined` / `default()`. nunjucks'
// throwOnUndefined only checks what is printed, reports no variable name, and lets `{% if x %}` and
// `{% for i in x %}` pass silently. So the parsed template is rewritten before it is compiled: every
// variable read and attribute lookup goes through a check filter that knows the expression, the
// template and the line. The check runs when the expression is evaluated, so nunjucks' own scoping
// (set, for, macros, imports) decides what is defined, and a branch that is not taken checks nothing.
import { isNode, nodes, type NodeList, type TemplateNode } from "./nunjucks-internals.js";

export const DEFINED_FILTER = "__bgpmesh_defined";
export const OUTPUT_FILTER = "__bgpmesh_output";

/** A problem in a template, at a 1-based line of the named template (file name or inline label). */
export class TemplateProblem extends Error {
  constructor(
    readonly template: string,
    readonly line: number,
    readonly kind: "undefined" | "null" | "syntax" | "filter",
    /** the expression as written (undefined, null), the parser's message (syntax) or the filter's name */
    readonly detail: string,
  ) {
    super(`${template}:${line}: ${kind} ${detail}`);
    this.name = "TemplateProblem";
  }
}

/** The check filters, to be added to the environment. */
export const checkFilters: Record<string, (value: unknown, expr: string, line: number, template: string) => unknown> = {
  [DEFINED_FILTER](value, expr, line, template) {
    if (value === undefined) throw new TemplateProblem(template, line, "undefined", expr);
    return value;
  },
  // nunjucks would stop at a null too (throwOnUndefined), but without saying what or where.
  [OUTPUT_FILTER](value, expr, line, template) {
    if (value === null || value === undefined) throw new TemplateProblem(template, line, "null", expr);
    return value;
  },
};

const GUARD_TESTS = new Set(["defined", "undefined"]);
const GUARD_FILTERS = new Set(["default", "d"]);

/**
 * Rewrites a parsed template in place (and returns it) so undefined values fail with their place.
 * An unknown filter is reported now, with its line, rather than when it is reached.
 */
export function rewriteStrict(root: TemplateNode, template: string, isFilter: (name: string) => boolean): TemplateNode {
  const check = (filter: string, node: TemplateNode, text = exprText(node)): TemplateNode => {
    const { lineno: l, colno: c } = node;
    const args = [node, new nodes.Literal(l, c, text), new nodes.Literal(l, c, l + 1), new nodes.Literal(l, c, template)];
    return new nodes.Filter(l, c, new nodes.Symbol(l, c, filter), new nodes.NodeList(l, c, args));
  };
  const visitList = (list: unknown): void => {
    if (isNode(list) && Array.isArray((list as NodeList).children)) {
      const l = list as NodeList;
      l.children = l.children.map((n) => visit(n, false));
    }
  };
  // `guarded`: the value may be undefined here (left of `is defined`, first argument of default()).
  const visit = (node: TemplateNode, guarded: boolean): TemplateNode => {
    switch (node.typename) {
      case "Symbol":
        return guarded ? node : check(DEFINED_FILTER, node);
      case "LookupVal":
        node["target"] = visit(node["target"] as TemplateNode, guarded);
        node["val"] = visit(node["val"] as TemplateNode, false);
        return guarded ? node : check(DEFINED_FILTER, node);
      case "Is": {
        const test = node["right"] as TemplateNode;
        const name = test.typename === "Symbol" ? test["value"] : (test["name"] as TemplateNode | undefined)?.["value"];
        node["left"] = visit(node["left"] as TemplateNode, GUARD_TESTS.has(String(name)));
        if (test.typename !== "Symbol") visitList(test["args"]);
        return node;
      }
      case "Filter": {
        const args = node["args"] as NodeList;
        const name = String((node["name"] as TemplateNode)["value"]);
        if (!isFilter(name)) throw new TemplateProblem(template, node.lineno + 1, "filter", name);
        const guard = GUARD_FILTERS.has(name);
        args.children = args.children.map((n, i) => visit(n, guard && i === 0));
        return node;
      }
      case "Output": {
        const out = node as NodeList;
        out.children = out.children.map((n) => {
          if (n.typename === "TemplateData") return n;
          const text = exprText(n);
          return check(OUTPUT_FILTER, visit(n, false), text);
        });
        return node;
      }
      // Names being bound (loop variables, macro parameters, set targets, imports, block names) and
      // dictionary keys are not reads: only their expressions are visited.
      case "For":
      case "AsyncEach":
      case "AsyncAll":
        return visitFields(node, ["arr", "body", "else_"]);
      case "Macro":
      case "Caller":
        for (const arg of (node["args"] as NodeList).children) if (arg.typename === "KeywordArgs") visitDict(arg);
        return visitFields(node, ["body"]);
      case "Set":
        return visitFields(node, ["value", "body"]);
      case "Import":
      case "FromImport":
        return visitFields(node, ["template"]);
      case "Block":
        return visitFields(node, ["body"]);
      case "Dict":
      case "KeywordArgs":
        return visitDict(node);
      case "Super":
        return node;
      default:
        return visitFields(node, node.fields);
    }
  };
  const visitFields = (node: TemplateNode, fields: string[]): TemplateNode => {
    for (const f of fields) {
      const value = node[f];
      if (Array.isArray(value)) node[f] = value.map((v) => (isNode(v) ? visit(v, false) : v));
      else if (isNode(value)) node[f] = visit(value, false);
    }
    return node;
  };
  const visitDict = (node: TemplateNode): TemplateNode => {
    for (const pair of (node as NodeList).children) {
      const key = pair["key"] as TemplateNode;
      if (key.typename !== "Symbol") pair["key"] = visit(key, false);
      pair["value"] = visit(pair["value"] as TemplateNode, false);
    }
    return node;
  };
  return visit(root, false);
}

/** The expression as the template author would recognise it, e.g. `hostvars[h].tinc_address`. */
export function exprText(node: TemplateNode): string {
  switch (node.typename) {
    case "Symbol":
      return String(node["value"]);
    case "Literal":
      return JSON.stringify(node["value"]);
    case "LookupVal": {
      const target = exprText(node["target"] as TemplateNode);
      const val = node["val"] as TemplateNode;
      const key = val["value"];
      if (val.typename === "Literal" && typeof key === "string" && /^[A-Za-z_]\w*$/.test(key)) return `${target}.${key}`;
      return `${target}[${exprText(val)}]`;
    }
    case "FunCall":
      return `${exprText(node["name"] as TemplateNode)}(...)`;
    case "Filter": {
      const name = String((node["name"] as TemplateNode)["value"]);
      const args = (node["args"] as NodeList).children;
      // An already rewritten read: its text was recorded when it was wrapped.
      if (name === DEFINED_FILTER || name === OUTPUT_FILTER) return String(args[1]?.["value"]);
      return `${args[0] ? exprText(args[0]) : ""} | ${name}`;
    }
    default:
      return "the expression";
  }
}
