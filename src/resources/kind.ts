// The contract of a resource kind. A kind's module keeps everything about it in one place, as
// pyinfra keeps a fact's command beside the parsing of its output: the role-file forms that declare
// it (schema, parse, expand), what it probes on a host and how it reads those lines back, the steps
// that close the gap, and the few flags the engine asks about. The engine and the role loader
// iterate the registry (registry.ts) and hold no per-kind `if`.
import type { z } from "zod";
import type { SourcePos } from "../inventory/index.js";
import type { StringSource } from "../render/index.js";
import type { Action, SignSpec } from "../model/plan.js";
import type { Origin, Resource } from "../model/resource.js";

/** A string from a role file, to be rendered with a host's variables. */
export interface Str {
  text: string;
  at: StringSource;
}

/** `when:` — a fixed answer, or an expression / `{{ }}` string to evaluate per host. */
export type When = boolean | Str;

/** One step a kind plans; the engine adds the resource's index, its kind and whether it is secret. */
export type Step = Omit<Action, "resource" | "kind" | "secret">;

export interface PlanContext {
  systemd: boolean;
  /** what the resources before this one do in this run */
  earlier: {
    /** some install packages: a unit missing now may exist by the time this step runs */
    installs: boolean;
    /** files they create or rewrite (a unit file, say) */
    writes: ReadonlySet<string>;
    /**
     * since the last `systemctl daemon-reload` a step before this one runs (or since the start):
     * packages installed, and files written under a systemd unit folder (units and drop-ins)
     */
    sinceReload: { installs: boolean; unitFiles: boolean };
  };
  /**
   * systemd units that resources of this host start themselves (a service with `state: started`),
   * wherever they are in its list: a package this run installs must not start them first
   */
  startsItself: ReadonlySet<string>;
  /** true when `text` contains a secret value */
  hasSecret: (text: string) => boolean;
  /** the time the plan is made for (certificate expiry) */
  now: Date;
  /** facts worth showing beside the changes */
  notes: string[];
}

export interface ResourceKind<R extends Resource = Resource, F = unknown> {
  kind: string;
  /** shell functions its probe lines call: put once into a probe script that needs them */
  probeFunctions?: string;
  /**
   * Shell run once after all of the host's probe lines, for a kind whose probe lines only queue
   * their questions and ask them all in one process (one `stat` for every path, one `systemctl show`
   * for every unit): each spawned process costs the host a millisecond or more, and a no-change run
   * is mostly such spawns.
   */
  probeFlush?: string;
  /**
   * Shell that prints what the plan needs, as lines `R\t<index>\t...` (`index` is the resource's
   * place in the host's desired state); nothing to probe: "".
   */
  probe(r: R, index: number): string;
  /** Its probe lines, split on tabs after the index, → the facts its plan reads. */
  read(lines: string[][]): F;
  /** The part of the facts a saved plan's digest covers (default: all), e.g. not a diff's old text. */
  stable?(facts: F): unknown;
  plan(r: R, facts: F, ctx: PlanContext): Step[];
  /** All of a host's resources of this kind become one, at the place of the first (one apt transaction). */
  merge?(all: R[]): R;
  /** What later resources of the host may count on once its steps have run. */
  effects?(r: R, steps: Step[]): { installs?: boolean; writes?: string[]; reloadsSystemd?: boolean };
  /** The systemd units it starts itself (see PlanContext.startsItself). */
  starts?(r: R): string[];
  /** The path it manages on the host: two resources on one path are an error unless `same` says they are one. */
  path?(r: R): string;
  same?(a: R, b: R): boolean;
  /** The step that writes a certificate the controller signed for one of its steps (`Step.sign`). */
  signed?(sign: SignSpec, pem: string): string;
}

/** What a form's parse sees of one `resources:` item of a role file, already checked against its schema. */
export interface ParseApi {
  /** the settings, as the form's schema returned them */
  data: Record<string, unknown>;
  /** the item's place */
  at: SourcePos;
  /** a text setting with its place (or the fallback, placed at the item) */
  str(field: string, fallback?: string): Str;
  opt(field: string): Str | undefined;
  /** a list of texts, each with its place */
  list(field: string): Str[];
  /** a number given as a number or as text (a template) */
  numberText(field: string, fallback: number): Str;
  /** the handlers it notifies, checked against the role's */
  notify: string[];
  /** owner, group (root by default) and mode, given or `defaultMode` */
  fileLike(defaultMode: string): { owner: Str; group: Str; mode: string; notify: string[] };
  /** an error at a setting (or the item), naming file:line and key */
  error(path: (string | number)[], problem: string): Error;
  /** checks a template name that has no variables: it must exist and parse */
  checkTemplate(src: Str): void;
  /** the folder of the project the role was found in: `copy: { file: }` paths start there */
  dir: string;
}

/** What a form's expand may use to turn its parsed item into a resource for one host. */
export interface ExpandApi {
  render(s: Str): string;
  /** renders an absolute path, normalised; anything else is an error at its place */
  path(s: Str): string;
  error(at: Str["at"], problem: string): Error;
  /** a template file of the role's folder, rendered for the host */
  renderTemplate(src: Str): { text: string; source: string };
  /** true when the text holds one of the host's secret values */
  holdsSecret(text: string): boolean;
  /** run inputs of certificate resources: the mesh CA (a push has it) and `apply --renew-certs` */
  pki: { caPem?: string; renew: boolean };
  /** where the item was declared, for the resource's `origin` */
  origin: Origin;
}

/** One key of a role file's `resources:` items (`- template: {...}`) and how it becomes a resource. */
export interface RoleForm<I = unknown> {
  key: string;
  /** the settings map */
  schema: z.ZodType;
  /** a short form besides the map (`package: [a, b]`): its schema and the settings it stands for */
  short?: { schema: z.ZodType; field: string };
  parse(p: ParseApi): I;
  /** the fields of the parsed item that hold paths: checked when written without variables */
  paths?: readonly string[];
  expand(item: I, x: ExpandApi): Resource;
  /** the run needs the mesh CA (a push makes it on first use) */
  needsCa?: boolean;
}
