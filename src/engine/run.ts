// inventory → desired state per host → (in parallel, per host) lock + probe → plan → apply → recap.
// Every input is checked before any host is touched: a bad inventory, role or template stops
// the run with its file:line error while nothing has been contacted.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import pLimit from "p-limit";
import { hostsOf, loadInventory, parseExtraVars, type Inventory } from "../inventory/index.js";
import { desiredState, firstPlayOf, hostValues, loadProject, rolesOfHost, runRedactor, type Project, type RunKind } from "../roles/index.js";
import { hostsAlsoNeeded } from "../mesh/also-needed.js";
import { MESH_GROUP } from "../mesh/derive.js";
import { topologyWarnings } from "../mesh/reflectors.js";
import { loadOrCreateCa, signRequest, type Ca } from "../pki/ca.js";
import type { HostPlan } from "../model/plan.js";
import { hasChanges } from "../model/plan.js";
import type { DesiredHost } from "../model/resource.js";
import type { HostResult, RunSummary } from "../model/result.js";
import { formOf } from "../resources/registry.js";
import type { Transport } from "../transport/transport.js";
import { stopwatch } from "../util/time.js";
import { DEFAULT_RELEASE, releaseFromOs, releaseVars } from "../fields/releases.js";
import type { HostFacts } from "./facts.js";
import { runHost } from "./host-run.js";
import { rollingTurns } from "./rolling.js";
import { extraVarsDigest, readPlanFile, type PlanInputs } from "./plan-file.js";
import { selectHosts } from "./select.js";

export interface RunOptions {
  inventory?: string;
  site: string;
  extraVars: string[];
  limit?: string;
  forks: number;
  apply: boolean;
  lockTimeoutSec: number;
  /** apply this saved plan */
  planFile?: string;
  /** a push from a controller (the default) or a pull on the node itself */
  runKind?: RunKind;
  /** called with each host's plan before it is applied (pull mode logs it) */
  beforeApply?: (plan: HostPlan, redact: (text: string) => string) => void;
  /** called once the run's hosts are known, before any is contacted */
  runStart?: (hosts: string[]) => void;
  /** called as each host is started (it took one of the --forks) */
  hostStart?: (host: string) => void;
  /** called as each host is done */
  hostDone?: (result: HostResult) => void;
  /** a host started a step of its apply script (its name as the recap gives it) */
  hostStep?: (host: string, step: string) => void;
  /** --serial: at most this many hosts at once in any rolling handler, whatever its role says */
  serialCap?: number;
  /** the mesh CA's folder; default pki/ beside the inventory */
  pkiDir?: string;
  /** issue every certificate again now (apply --renew-certs) */
  renewCerts?: boolean;
  connect: (inv: Inventory, host: string) => Promise<Transport>;
  /** progress and warnings, a line at a time (secrets masked) */
  err: (text: string) => void;
}

/** What a run found and did, with what its reports need: the inputs a saved plan names, and the mask for secrets. */
export interface PlaybookRun extends RunSummary {
  inputs: PlanInputs;
  redact: (text: string) => string;
}

export async function runPlaybook(opts: RunOptions): Promise<PlaybookRun> {
  const elapsed = stopwatch();
  const saved = opts.planFile ? readPlanFile(opts.planFile) : undefined;
  if (saved && extraVarsDigest(opts.extraVars) !== saved.extraVarsDigest) {
    throw new Error(`${opts.planFile}: the plan was made with other -e options; pass the same ones to apply it`);
  }
  if (saved && opts.serialCap !== undefined && opts.serialCap !== saved.serial) {
    throw new Error(`${opts.planFile}: the plan was made ${saved.serial === undefined ? "without --serial" : `with --serial ${saved.serial}`}; apply it the same way`);
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
  // A host pulled in for one duty gets that duty only: its resources tagged with it.
  const duty = new Map<string, string>();
  if (!saved && project.runKind === "push") {
    for (const { host, why, tag } of hostsAlsoNeeded(inv, hostValues(project, inv), hosts)) {
      opts.err(`${host}: also in this run: ${why} (only its resources tagged ${tag})\n`);
      hosts = [...hosts, host];
      duty.set(host, tag);
    }
  }
  if (project.runKind === "push") {
    for (const w of topologyWarnings(inv, inv.groups.has(MESH_GROUP) ? hostsOf(inv, MESH_GROUP) : [])) opts.err(`warning: ${w}\n`);
  }
  const ca = await meshCa(opts, project, inv, hosts, inventoryPath);
  // Checked for every host before any is contacted, as if it ran the default release; a host that
  // turns out to run another gets its own when its facts arrive.
  const desired = new Map<string, DesiredHost>();
  for (const h of hosts) desired.set(h, desiredState(project, inv, h, duty.get(h)));
  const desiredFor = (h: string) => (facts: HostFacts) => {
    const release = releaseFromOs(facts.os);
    return release === DEFAULT_RELEASE ? desired.get(h)! : desiredState(project, inv, h, duty.get(h), releaseVars(release));
  };

  const redactor = runRedactor(project, inv);
  const redact = (t: string) => redactor.redact(t);
  const hasSecret = (t: string) => redactor.redact(t) !== t;
  const progress = (host: string, msg: string) => opts.err(redact(`${host}: ${msg}\n`));

  const limit = pLimit(opts.forks);
  const takeTurn = rollingTurns();
  const serialCap = saved ? saved.serial : opts.serialCap;
  const run = { hosts: hosts.length, ...(serialCap !== undefined && { serialCap }) };
  opts.runStart?.(hosts);
  const runOne = (h: string, earlierPlays: () => { pending: number; done: Promise<unknown> }) =>
    limit(async () => {
      opts.hostStart?.(h);
      const r = await runHost(h, desiredFor(h), () => opts.connect(inv, h), {
        earlierPlays,
        apply: opts.apply,
        lockTimeoutSec: opts.lockTimeoutSec,
        expected: saved?.hosts[h],
        hasSecret,
        redact,
        progress,
        takeTurn,
        run,
        runKind,
        ...(ca && { sign: (spec, csr) => signRequest(ca, csr, spec) }),
        ...(opts.beforeApply && { beforeApply: (plan: HostPlan) => opts.beforeApply!(plan, redact) }),
        ...(opts.hostStep && { stepStart: (host: string, step: string) => opts.hostStep!(host, redact(step)) }),
      });
      opts.hostDone?.(r);
      return r;
    });
  // An apply goes play by play as far as it can (see firstPlayOf): a host first named by a later
  // play applies its changes only once the hosts of earlier plays are done. It connects, probes
  // and plans with them, and a host with nothing to change is done at once: before, the later
  // plays' hosts waited for the earlier ones even to probe, and a no-change run of 24 shipped-site
  // hosts went in three waves (the etcd members, 16 hosts, the last 5). Hosts take --forks slots in
  // play order, so a host waiting for earlier plays never holds a slot one of them still needs.
  const playOf = new Map(hosts.map((h) => [h, opts.apply ? firstPlayOf(project, inv, h) : 0]));
  const ordered = [...hosts].sort((a, b) => playOf.get(a)! - playOf.get(b)!);
  const running = new Map<string, Promise<HostResult>>();
  const finished = new Set<string>();
  for (const h of ordered) {
    const before = ordered.filter((o) => playOf.get(o)! < playOf.get(h)!);
    const earlierPlays = () => ({ pending: before.filter((o) => !finished.has(o)).length, done: Promise.all(before.map((o) => running.get(o)!)) });
    const result = runOne(h, earlierPlays).then((r) => {
      finished.add(h);
      return r;
    });
    running.set(h, result);
  }
  const results = await Promise.all(hosts.map((h) => running.get(h)!));
  return {
    inputs: { inventory: inventoryPath, site, limit: opts.limit, extraVars: opts.extraVars, ...(serialCap !== undefined && { serial: serialCap }) },
    redact,
    results,
    seconds: elapsed(),
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
  const uses = hosts.some((h) => rolesOfHost(project, inv, h).some((r) => project.roles.get(r)?.resources.some((x) => formOf(x.form)?.needsCa)));
  if (!uses) return undefined;
  const dir = opts.pkiDir ?? join(dirname(inventoryPath), "pki");
  const ca = await loadOrCreateCa(dir, "bgpmesh mesh CA", (msg) => opts.err(`${msg}\n`));
  const ignore = join(dir, ".gitignore");
  if (!existsSync(ignore)) writeFileSync(ignore, "# The CA's private key stays on the controller that made it.\nca.key\n*.new\n");
  project.pki.caPem = ca.certPem;
  return ca;
}
