// The metric names a PromQL expression (or a Grafana dashboard) queries. Used by the unit test of the
// Grafana dashboard (checked against the metrics we know) and by the end-to-end test (checked against a
// live scrape of the agent and the BIRD exporter). No dependencies: a small PromQL tokenizer, not a parser.
//
// What is not a metric name: function and aggregation names (an identifier followed by `(`, or by
// `by`/`without` and a label list), keywords (by, without, on, ignoring, group_left, group_right, bool,
// and, or, unless, offset, atan2), the label names in `by (...)`, `without (...)`, `on (...)`,
// `ignoring (...)`, `group_left (...)`, `group_right (...)` and inside `{...}` matchers, string
// literals, numbers (inf and nan too), durations, whatever is inside `[...]` (ranges and subqueries:
// [5m], [$__rate_interval], [1h:5m]), Grafana variables ($node, ${node}, ${node:regex}, [[node]]) and
// comments. A `{__name__="x"}` matcher names metric x. Grafana's variable query functions are
// understood: label_values(metric, label) queries metric (label_values(label) queries none),
// query_result(expr) queries what expr does, and metrics(regex) and label_names() query none.

/** What an expression holds that cannot be read (or checked), and where. */
export class PromqlError extends Error {
  constructor(
    readonly expr: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`${problem} at offset ${offset} of ${JSON.stringify(expr)}`);
    this.name = "PromqlError";
  }
}

type TokenKind = "ident" | "string" | "number" | "duration" | "variable" | "punct" | "op" | "matchers" | "range";

interface Token {
  kind: TokenKind;
  text: string;
  at: number;
  /** for `matchers`: metric names given by a `__name__="..."` matcher inside the braces */
  names?: string[];
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "atan2"]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const NUMBER_WORDS = new Set(["inf", "nan"]);
const IDENT = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+/;
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const VARIABLE = /^(?:\$\{[^}]*\}|\$[A-Za-z0-9_]+|\[\[[A-Za-z0-9_:.]+\]\])/;
const OPERATORS = ["==", "!=", "<=", ">=", "=~", "!~", "+", "-", "*", "/", "%", "^", "<", ">", "=", "@"];

/** The end (exclusive) of the string literal that starts at `i` (a quote or backtick). */
function stringEnd(expr: string, i: number): number {
  const quote = expr[i]!;
  for (let j = i + 1; j < expr.length; j++) {
    if (expr[j] === "\\" && quote !== "`") j++;
    else if (expr[j] === quote) return j + 1;
  }
  throw new PromqlError(expr, i, "unterminated string");
}

/** The end (exclusive) of the bracketed part that starts at `i` with `open`, skipping string literals inside. */
function closing(expr: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (let j = i; j < expr.length; j++) {
    const c = expr[j]!;
    if (c === '"' || c === "'" || c === "`") j = stringEnd(expr, j) - 1;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
  }
  throw new PromqlError(expr, i, `unclosed '${open}'`);
}

/** The metric names a `{...}` matcher list gives through __name__ (`=` only; a regex cannot be listed). */
function namesInMatchers(expr: string, start: number, end: number): string[] {
  const names: string[] = [];
  const body = expr.slice(start + 1, end - 1);
  const re = /(?:^|,)\s*__name__\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const [, op, literal] = m;
    if (op !== "=") throw new PromqlError(expr, start + 1 + m.index, `__name__${op} cannot be checked: name the metric`);
    names.push(unquote(literal!));
  }
  return names;
}

function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return literal.startsWith("`") ? body : body.replace(/\\(.)/g, "$1");
}

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const c = expr[i]!;
    let m: RegExpExecArray | null;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      const nl = expr.indexOf("\n", i);
      i = nl < 0 ? expr.length : nl + 1;
    } else if ((m = VARIABLE.exec(rest))) {
      tokens.push({ kind: "variable", text: m[0], at: i });
      i += m[0].length;
    } else if (c === '"' || c === "'" || c === "`") {
      const end = stringEnd(expr, i);
      tokens.push({ kind: "string", text: expr.slice(i, end), at: i });
      i = end;
    } else if (c === "{") {
      const end = closing(expr, i, "{", "}");
      tokens.push({ kind: "matchers", text: expr.slice(i, end), at: i, names: namesInMatchers(expr, i, end) });
      i = end;
    } else if (c === "[") {
      // A range or subquery: durations, Grafana variables such as $__rate_interval, a step.
      const end = closing(expr, i, "[", "]");
      tokens.push({ kind: "range", text: expr.slice(i, end), at: i });
      i = end;
    } else if ((m = DURATION.exec(rest)) && !/^[A-Za-z0-9_:]/.test(rest.slice(m[0].length))) {
      tokens.push({ kind: "duration", text: m[0], at: i });
      i += m[0].length;
    } else if ((m = NUMBER.exec(rest))) {
      tokens.push({ kind: "number", text: m[0], at: i });
      i += m[0].length;
    } else if ((m = IDENT.exec(rest))) {
      tokens.push({ kind: "ident", text: m[0], at: i });
      i += m[0].length;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "punct", text: c, at: i });
      i++;
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw new PromqlError(expr, i, `unexpected character '${c}'`);
      tokens.push({ kind: "op", text: op, at: i });
      i += op.length;
    }
  }
  return tokens;
}

/** The index of the `)` closing the `(` at tokens[open]. */
function matchingParen(expr: string, tokens: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind !== "punct") continue;
    if (t.text === "(") depth++;
    else if (t.text === ")" && --depth === 0) return j;
  }
  throw new PromqlError(expr, tokens[open]!.at, "unclosed '('");
}

/** Indexes of the top-level commas between tokens[open] `(` and tokens[close] `)`. */
function topLevelCommas(tokens: Token[], open: number, close: number): number[] {
  const commas: number[] = [];
  let depth = 0;
  for (let j = open + 1; j < close; j++) {
    const t = tokens[j]!;
    if (t.kind !== "punct") continue;
    if (t.text === "(") depth++;
    else if (t.text === ")") depth--;
    else if (t.text === "," && depth === 0) commas.push(j);
  }
  return commas;
}

const isOpenParen = (t: Token | undefined): boolean => t?.kind === "punct" && t.text === "(";

/**
 * The metric names an expression queries, sorted and each once. Throws a PromqlError for what it
 * cannot read (an unclosed bracket or string, an unknown character, a `__name__` regex).
 */
export function metricNames(expr: string): string[] {
  // Grafana's metrics(regex) and label_names(): their arguments are not PromQL.
  if (/^\s*(?:metrics|label_names)\s*\(/.test(expr)) return [];
  const tokens = tokenize(expr);
  const names = new Set<string>();
  const skip = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (skip.has(i)) continue;
    if (t.kind === "matchers") {
      for (const n of t.names ?? []) names.add(n);
      continue;
    }
    if (t.kind !== "ident") continue;
    const prev = tokens[i - 1];
    const glued = (a: Token | undefined, b: Token | undefined) => !!a && !!b && a.at + a.text.length === b.at;
    if ((prev?.kind === "variable" && glued(prev, t)) || (tokens[i + 1]?.kind === "variable" && glued(t, tokens[i + 1]))) {
      throw new PromqlError(expr, t.at, `a name made with a variable cannot be checked: ${t.text}`);
    }
    const word = t.text.toLowerCase();
    const next = tokens[i + 1];
    if (LABEL_LIST_KEYWORDS.has(word) && isOpenParen(next)) {
      // by (node, le): label names up to the closing parenthesis.
      const close = matchingParen(expr, tokens, i + 1);
      for (let j = i + 1; j <= close; j++) skip.add(j);
      continue;
    }
    if (KEYWORDS.has(word) || NUMBER_WORDS.has(word)) continue;
    // An aggregation with its grouping first: sum by (node) (...). A metric is never followed by `by`.
    if (next?.kind === "ident" && ["by", "without"].includes(next.text.toLowerCase())) continue;
    if (isOpenParen(next)) {
      // A function or an aggregation. Grafana's variable queries have functions of their own.
      const close = matchingParen(expr, tokens, i + 1);
      if (t.text === "label_values") {
        // label_values(metric or selector, label) or label_values(label): the last argument is a label.
        const commas = topLevelCommas(tokens, i + 1, close);
        const from = commas.length ? commas[commas.length - 1]! : i + 1;
        for (let j = from; j <= close; j++) skip.add(j);
      }
      continue;
    }
    names.add(t.text);
  }
  return [...names].sort();
}

/** One query of a dashboard: a panel target's `expr` or a template variable's query. */
export interface DashboardQuery {
  /** e.g. `panel 12 "Reconcile latency" target B` or `variable node` */
  where: string;
  expr: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every panel of a dashboard, those inside rows (collapsed rows hold their panels) included. */
export function dashboardPanels(dashboard: unknown): Json[] {
  const out: Json[] = [];
  const walk = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const p of panels) {
      if (!isObject(p)) continue;
      out.push(p);
      walk(p["panels"]);
    }
  };
  if (isObject(dashboard)) walk(dashboard["panels"]);
  return out;
}

/** Every PromQL query of a dashboard: each panel target's `expr` and each query variable's query. */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of dashboardPanels(dashboard)) {
    const targets = Array.isArray(p["targets"]) ? p["targets"] : [];
    for (const t of targets) {
      if (isObject(t) && typeof t["expr"] === "string" && t["expr"].trim() !== "") {
        out.push({ where: `panel ${String(p["id"])} ${JSON.stringify(p["title"] ?? "")} target ${String(t["refId"] ?? "?")}`, expr: t["expr"] });
      }
    }
  }
  const templating = isObject(dashboard) && isObject(dashboard["templating"]) ? dashboard["templating"]["list"] : undefined;
  for (const v of Array.isArray(templating) ? templating : []) {
    if (!isObject(v) || v["type"] !== "query") continue;
    const query = v["query"];
    const texts = new Set<string>();
    if (typeof query === "string") texts.add(query);
    else if (isObject(query) && typeof query["query"] === "string") texts.add(query["query"]);
    if (typeof v["definition"] === "string") texts.add(v["definition"]);
    for (const expr of texts) if (expr.trim() !== "") out.push({ where: `variable ${String(v["name"])}`, expr });
  }
  return out;
}

/** Every metric name a dashboard queries → where (the first query naming it). */
export function dashboardMetrics(dashboard: unknown): Map<string, string> {
  const found = new Map<string, string>();
  for (const q of dashboardQueries(dashboard)) {
    let names: string[];
    try {
      names = metricNames(q.expr);
    } catch (e) {
      if (e instanceof PromqlError) e.message = `${q.where}: ${e.message}`;
      throw e;
    }
    for (const n of names) if (!found.has(n)) found.set(n, q.where);
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
