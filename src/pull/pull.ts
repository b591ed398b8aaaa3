// A pull, start to end, on the node itself: wait a little (so a fleet does not fetch at once),
// fetch the configuration repository, skip if this commit is what the host is already built from
// (--only-if-changed), then plan and apply this host's roles through the local transport: the same
// engine, lock, diffs, handlers and recap as a push. Every run is recorded in the state file.
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import type { RunOptions } from "../engine/run.js";
import { runAndReport, type ReportOptions } from "../output/run-report.js";
import { loadInventory, parseExtraVars } from "../inventory/index.js";
import { localTransport } from "../transport/local.js";
import { withDirLock } from "../util/lock.js";
import { projectFile } from "../util/project.js";
import { syncCheckout, shownUrl, type Checkout } from "./checkout.js";
import { PULL_STATE_FILE, readPullState, recordPullRun, type PullRun } from "./state.js";
import { toolId } from "./tool-id.js";

export interface PullOptions {
  repo: string;
  branch: string;
  /** inventory path inside the repository */
  inventory: string;
  /** play list inside the repository; default its site.yml, else the one installed with the tool */
  site?: string;
  host?: string;
  onlyIfChanged: boolean;
  sleepMaxSec: number;
  check: boolean;
  checkoutDir: string;
  stateFile?: string;
  extraVars: string[];
  lockTimeoutSec: number;
  jsonReport?: string;
  color: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** 0: done (applied, nothing to do, or skipped); 1: failed; 2: --check found changes. */
export async function pull(opts: PullOptions): Promise<number> {
  const log = (msg: string) => opts.err(`pull: ${msg}\n`);
  const host = opts.host ?? hostname();
  const stateFile = opts.stateFile ?? PULL_STATE_FILE;
  if (opts.sleepMaxSec > 0) {
    const ms = Math.floor(Math.random() * opts.sleepMaxSec * 1000);
    log(`waiting ${(ms / 1000).toFixed(1)}s first (--sleep ${opts.sleepMaxSec})`);
    await (opts.sleep ?? ((t) => new Promise((r) => setTimeout(r, t))))(ms);
  }
  // One pull at a time uses the working copy; the host lock (taken by the engine) keeps pushes out.
  return withDirLock(opts.checkoutDir, async () => {
    const started = new Date().toISOString();
    const tool = toolId();
    const base = { repo: shownUrl(opts.repo), branch: opts.branch, tool, started };
    let checkout: Checkout | undefined;
    const record = (r: Pick<PullRun, "result" | "changed" | "error">) =>
      recordPullRun({ ...base, commit: checkout?.commit ?? "", subject: checkout?.subject ?? "", finished: new Date().toISOString(), ...r }, stateFile, log);
    try {
      log(`fetching ${base.repo} (branch ${opts.branch}) into ${opts.checkoutDir}`);
      checkout = await syncCheckout(opts.repo, opts.branch, opts.checkoutDir);
      const good = readPullState(stateFile, log).lastGood;
      log(`commit ${checkout.commit.slice(0, 12)} "${checkout.subject}"${good ? `; host built from ${good.commit.slice(0, 12)}` : "; no earlier run"}`);
      if (opts.onlyIfChanged && !opts.check && good?.commit === checkout.commit && good.tool === tool && good.branch === opts.branch) {
        log("nothing to do: this commit is already applied (--only-if-changed)");
        record({ result: "skipped", changed: 0 });
        return 0;
      }
      const run = runOptions(opts, checkout, host);
      const inv = await loadInventory(run.inventory!, { extraVars: parseExtraVars(opts.extraVars) });
      if (!inv.hosts.has(host)) {
        throw new Error(`host '${host}' is not in ${opts.inventory} (its hosts: ${[...inv.hosts.keys()].join(", ")}): pass --host NAME`);
      }
      const summary = await runAndReport(run);
      const changed = summary.results.reduce((n, r) => n + r.changed, 0);
      const failure = summary.results.find((r) => r.error)?.error;
      if (summary.failed) {
        record({ result: "failed", changed, error: failure ?? "failed" });
        log(`FAILED at commit ${checkout.commit.slice(0, 12)}; recorded in ${stateFile}`);
        return 1;
      }
      if (opts.check) {
        record({ result: "check", changed: 0 });
        log(summary.changes ? "drift: the host differs from this commit (--check changed nothing)" : "no drift: the host matches this commit");
        return summary.changes ? 2 : 0;
      }
      record({ result: changed ? "applied" : "unchanged", changed });
      log(`${changed ? `applied ${checkout.commit.slice(0, 12)}: ${changed} change(s)` : `host already matches ${checkout.commit.slice(0, 12)}`}; recorded in ${stateFile}`);
      return 0;
    } catch (e) {
      const message = (e as Error).message;
      record({ result: "failed", changed: 0, error: message });
      opts.err(`error: ${message}\n`);
      log(`FAILED${checkout ? ` at commit ${checkout.commit.slice(0, 12)}` : ""}: nothing was changed; recorded in ${stateFile}`);
      return 1;
    }
    // Beside the working copy, not in it: `git clean` would delete it.
  }, opts.lockTimeoutSec * 1000, `${opts.checkoutDir}.lock`);
}

function inRepo(checkout: Checkout, path: string, what: string): string {
  const full = join(checkout.dir, path);
  if (isAbsolute(path) || relative(checkout.dir, full).startsWith("..")) throw new Error(`${what} '${path}' must be a path inside the repository`);
  return full;
}

function runOptions(opts: PullOptions, checkout: Checkout, host: string): RunOptions & ReportOptions {
  const inventory = inRepo(checkout, opts.inventory, "--inventory");
  if (!existsSync(inventory)) throw new Error(`the repository has no ${opts.inventory} at commit ${checkout.commit.slice(0, 12)} (--inventory)`);
  const ownSite = join(checkout.dir, "site.yml");
  const site = opts.site ? inRepo(checkout, opts.site, "--site") : existsSync(ownSite) ? ownSite : projectFile("site.yml");
  return {
    inventory,
    site,
    extraVars: opts.extraVars,
    limit: host,
    forks: 1,
    apply: !opts.check,
    diff: true,
    lockTimeoutSec: opts.lockTimeoutSec,
    jsonReport: opts.jsonReport,
    color: opts.color,
    runKind: "pull",
    showPlanBeforeApply: true,
    connect: async () => localTransport(host),
    out: opts.out,
    err: opts.err,
  };
}
