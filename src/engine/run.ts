// inventory → desired state per host → (in parallel, per host) lock + probe → plan → apply → recap.
// Every input is checked before any host is touched: a bad inventory, role or template stops
// the run with its file:line error while nothing has been contacted.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import pLimit from "p-limit";
import {
  collectSecrets,
  loadInventory,
  parseExtraVars,
  Redactor,
  resolveHostVars,
  varValues,
  type Inventory,
} from "../inventory/index.js";
import { desiredState, hostValues, loadProject, projectSecrets, rolesOfHost, type Project, type RunKind } from "../roles/index.js";
import { hostsAlsoNeeded } from "../mesh/also-needed.js";
import { loadOrCreateCa, signRequest, type Ca } from "../pki/ca.js";
import type { Transport } from "../transport/transport.js";
import { stopwatch } from "../util/time.js";
import type { DesiredHost } from "./desired.js";
import { runHost, type HostResult } from "./host-run.js";
import { extraVarsDigest, publicPlan, readPlanFile, writePlanFile } from "./plan-file.js";
import { hasChanges } from "./plan.js";
import { selectHosts } from "./select.js";
import { renderPlan } from "../output/plan-view.js";
import { renderRecap } from "../output/recap.js";

export interface RunOptions {
  inventory?: string;
  site: string;
  extraVars: string[];
  limit?: string;
  forks: number;
  apply: boolean;
  /** show file diffs in the plan */
  diff: boolean;
  lockTimeoutSec: number;
  /** apply this saved plan */
  planFile?: string;
  /** save the plan here */
  outPlan?: string;
  /** write a JSON report here */
  jsonReport?: string;
  color: boolean;
  /** a push from a controller (the default) or a pull on the node itself */
  runKind?: RunKind;
  /** print each host's plan, with diffs, before applying it (pull mode's log) */
  showPlanBeforeApply?: boolean;
  /** the mesh CA's folder; default pki/ beside the inventory */
  pkiDir?: string;
  /** issue every certificate again now (apply --renew-certs) */
  renewCerts?: boolean;
  connect: (inv: Inventory, host: string) => Promise<Transport>;
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface RunSummary {
  results: HostResult[];
  seconds: number;
  /** some host has changes (plan) or was changed (apply) */
  changes: boolean;
  /** some host failed, was unreachable or had a stale plan */
  failed: boolean;
}

export async function runPlaybook(opts: RunOptions): Promise<RunSummary> {
  const elapsed = stopwatch();
  const saved = opts.planFile ? readPlanFile(opts.planFile) : undefined;
  if (saved && extraVarsDigest(opts.extraVars) !== saved.extraVarsDigest) {
    throw new Error(`${opts.planFile}: the plan was made with other -e options; pass the same ones to apply it`);
  }
  const inventoryPath = opts.inventory ?? saved?.inventory;
  if (!inventoryPath) throw new Error("an inventory is needed: -i inventory.yml");
  const site = saved?.site ?? opts.site;
  const inv = await loadInventory(inventoryPath, { extraVars: parseExtraVars(opts.extraVars) });
  const runKind = opts.runKind ?? "push";
  const project = await loadProject(site, { runKind });
  let hosts = selectHosts(inv, saved?.limit ?? opts.limit);
  if (saved) {
    const planned = Object.keys(saved.hosts);
    const gone = planned.filter((h) => !inv.hosts.has(h));
    if (gone.length) throw new Error(`${opts.planFile}: planned host(s) ${gone.join(", ")} are no longer in ${inventoryPath}`);
    hosts = hosts.filter((h) => planned.includes(h));
  }
  if (!saved && project.runKind === "push") {
    for (const { host, why } of hostsAlsoNeeded(inv, hostValues(project, inv), hosts)) {
      opts.err(`${host}: also in this run: ${why}\n`);
      hosts = [...hosts, host];
    }
  }
  const ca = await meshCa(opts, project, inv, hosts, inventoryPath);
  const desired = new Map<string, DesiredHost>();
  for (const h of hosts) desired.set(h, await desiredState(project, inv, h));

  const redactor = new Redactor(projectSecrets(project));
  for (const h of inv.hosts.keys()) redactor.add(collectSecrets(varValues(resolveHostVars(inv, h))));
  const redact = (t: string) => redactor.redact(t);
  const hasSecret = (t: string) => redactor.redact(t) !== t;
  const progress = (host: string, msg: string) => opts.err(redact(`${host}: ${msg}\n`));

  const limit = pLimit(opts.forks);
  const turns = new Map<string, ReturnType<typeof pLimit>>();
  const serialize = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    let turn = turns.get(name);
    if (!turn) turns.set(name, (turn = pLimit(1)));
    return turn(fn);
  };
  const results = await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        const r = await runHost(desired.get(h)!, () => opts.connect(inv, h), {
          apply: opts.apply,
          lockTimeoutSec: opts.lockTimeoutSec,
          expected: saved?.hosts[h],
          hasSecret,
          redact,
          progress,
          serialize,
          runKind,
          ...(ca && { sign: (spec, csr) => signRequest(ca, csr, spec) }),
          beforeApply: opts.showPlanBeforeApply ? (plan) => opts.out(redact(renderPlan(plan, { diff: true, color: opts.color }))) : undefined,
        });
        progress(h, statusLine(r, opts.apply));
        return r;
      }),
    ),
  );
  const seconds = elapsed();

  if (!opts.apply) {
    for (const r of results) if (r.plan) opts.out(redact(renderPlan(r.plan, { diff: opts.diff, color: opts.color })));
  }
  opts.out(renderRecap(results, seconds, opts.color, opts.apply));
  if (opts.outPlan) {
    writePlanFile(opts.outPlan, { inventory: inventoryPath, site, limit: opts.limit, extraVars: opts.extraVars }, results.flatMap((r) => (r.plan ? [r.plan] : [])), redact);
  }
  if (opts.jsonReport) writeJsonReport(opts.jsonReport, opts.apply, results, seconds, redact);
  return {
    results,
    seconds,
    changes: results.some((r) => (opts.apply ? r.changed > 0 : r.plan !== undefined && hasChanges(r.plan))),
    failed: results.some((r) => r.status === "failed" || r.status === "unreachable" || r.status === "stale"),
  };
}

/**
 * The CA, when a host of this run has a certificate resource and this is a push: made on first use
 * beside the inventory, with a .gitignore so its key is not committed with a configuration
 * repository by mistake.
 */
async function meshCa(opts: RunOptions, project: Project, inv: Inventory, hosts: string[], inventoryPath: string): Promise<Ca | undefined> {
  project.pki.renew = opts.renewCerts === true;
  if (project.runKind !== "push") return undefined;
  const uses = hosts.some((h) => rolesOfHost(project, inv, h).some((r) => project.roles.get(r)?.resources.some((x) => x.kind === "certificate")));
  if (!uses) return undefined;
  const dir = opts.pkiDir ?? join(dirname(inventoryPath), "pki");
  const ca = await loadOrCreateCa(dir, "bgpmesh mesh CA", (msg) => opts.err(`${msg}\n`));
  const ignore = join(dir, ".gitignore");
  if (!existsSync(ignore)) writeFileSync(ignore, "# The CA's private key stays on the controller that made it.\nca.key\n*.new\n");
  project.pki.caPem = ca.certPem;
  return ca;
}

function statusLine(r: HostResult, apply: boolean): string {
  const time = `${r.seconds.toFixed(2)}s`;
  if (r.status === "unreachable") return `UNREACHABLE (${time})`;
  if (r.status === "failed" || r.status === "stale") return `FAILED (${time})`;
  if (!apply) return r.plan && hasChanges(r.plan) ? `${r.plan.actions.length + r.plan.handlers.length} to change (${time})` : `no changes (${time})`;
  return r.changed ? `changed ${r.changed} (${time})` : `ok, no changes (${time})`;
}

function writeJsonReport(path: string, apply: boolean, results: HostResult[], seconds: number, redact: (t: string) => string): void {
  const report = {
    command: apply ? "apply" : "plan",
    finished: new Date().toISOString(),
    seconds,
    hosts: results.map((r) => ({ ...r, plan: r.plan ? publicPlan(r.plan) : undefined })),
  };
  writeFileSync(path, redact(JSON.stringify(report, null, 2)) + "\n", { mode: 0o600 });
}
