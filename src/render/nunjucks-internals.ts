// Typed access to the parts of nunjucks that its type definitions leave out: the parser, the AST node
// classes, the transformer and the compiler. The strict-undefined check rewrites the parsed template
// between parsing and compiling, which the public API has no hook for. nunjucks 3.2 is the last
// release line and these modules have had the same shape since 2.x.
import nunjucks from "nunjucks";
// A static import, not createRequire: the pull-mode bundle must see and include it.
// @ts-expect-error nunjucks ships no types for its internal modules (typed below)
import transformerModule from "nunjucks/src/transformer.js";

/** A node of a parsed template; `lineno` and `colno` are 0-based. */
export interface TemplateNode {
  readonly typename: string;
  readonly fields: string[];
  lineno: number;
  colno: number;
  [field: string]: unknown;
}

export interface NodeList extends TemplateNode {
  children: TemplateNode[];
}

type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => TemplateNode;

interface NodesModule {
  Node: NodeClass;
  NodeList: new (lineno: number, colno: number, children?: TemplateNode[]) => NodeList;
  Literal: NodeClass;
  Symbol: NodeClass;
  Filter: NodeClass;
}

interface CompilerInstance {
  compile(ast: TemplateNode): void;
  getCode(): string;
}

const internals = nunjucks as unknown as {
  parser: { parse(src: string, extensions: unknown[], opts: object): TemplateNode };
  nodes: NodesModule;
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => CompilerInstance };
};
const transformer = transformerModule as {
  transform(ast: TemplateNode, asyncFilters: string[], name: string): TemplateNode;
};

export const nodes = internals.nodes;

export function isNode(value: unknown): value is TemplateNode {
  return value instanceof internals.nodes.Node;
}

/** The parsed template after nunjucks' own transformations (which turn `super()` into a node of its own). */
export function parseTemplate(src: string, name: string, opts: object): TemplateNode {
  return transformer.transform(internals.parser.parse(src, [], opts), [], name);
}

/** Compiles a (rewritten) template to JavaScript, the text that templateProps() loads. */
export function compileTemplateCode(ast: TemplateNode, name: string, throwOnUndefined: boolean): string {
  const compiler = new internals.compiler.Compiler(name, throwOnUndefined);
  compiler.compile(ast);
  return compiler.getCode();
}

/** Loads compiled code as the props object that `new Template({type: "code", obj})` takes. */
export function templateProps(code: string): Record<string, unknown> {
  // This is how nunjucks itself turns compiled code into a template (Template._compile).
  return new Function(code)() as Record<string, unknown>;
}
