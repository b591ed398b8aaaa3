// One reconcile: a snapshot of /peers/ (key → value, straight from etcd) to files on disk and
// the reloads they need. The record checks, rendering, writing and reload plan are the pure
// modules of src/agent/; this class keeps what lives between reconciles: the last valid peers
// (for the departed peers' grace period) and the reloads that are owed because tincd or BIRD
// was down (the files are already written, so the next reconcile alone would see no change).
// A restart loses that memory, so for the first hostFileGraceSeconds after the agent's first
// reconcile no host file is removed (one on disk for a peer missing from etcd may be a peer in the
// middle of re-registering); a reconcile is due when that window ends.
// Reconciles never overlap: the caller serialises them (see Agent.runReconcile).
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import type { AgentConfig } from "../config.js";
import { desiredState } from "../desired-files.js";
import { agentPaths, isAgentOwned } from "../paths.js";
import { stageCheckConfig } from "../bird-check.js";
import { birdCheck, planReload, tincReload, type ReloadPlan } from "../plan-reload.js";
import { meshBounds, parseSnapshot, type PeerRecord } from "../record.js";
import { reloadInArgv, sessionsToReload } from "../reload-in.js";
import type { HeldSession } from "../session-hold.js";
import { nextExpiryMs, retainedHostFiles, updateDeparted, type Departed } from "../retention.js";
import { stageChanged, writeChanged, type WriteResult } from "../write-files.js";
import { syncDir, type StagedFile } from "../../util/atomic-write.js";
import { failureLine, type Runner } from "./exec.js";
import type { Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";

export const PEERS_FILE_MODE = 0o640;

export interface ReconcileOutcome {
  ok: boolean;
  changed: string[];
  removed: string[];
  /** Reloads still owed after this reconcile (to retry with backoff). */
  owed: { tinc: boolean; bird: boolean };
  /** When a retained host file expires (ms, same clock as `now`): reconcile then. */
  nextExpiryAtMs?: number;
  invalid: number;
  peers: number;
  seconds: number;
}

export interface ReconcilerDeps {
  config: AgentConfig;
  run: Runner;
  log: Logger;
  metrics?: AgentMetrics;
  /** Prefix of every path on disk (tests). */
  root?: string;
  now?: () => number;
}

export class Reconciler {
  private previous = new Map<string, PeerRecord>();
  private departed = new Map<string, Departed>();
  private lastInvalid = "";
  private invalidSeen = new Set<string>();
  private startedAtMs: number | undefined;
  // The BGP sessions of the last reconcile: one that changes kind is held a while (session-hold.ts).
  private sessions = new Map<string, HeldSession>();
  private role = "";
  // Owed from the start: a previous agent may have written files and died (or been restarted)
  // before its reloads ran, and the files now on disk would look unchanged to this one.
  readonly owed = { tinc: true, bird: true };

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(entries: Iterable<readonly [string, string]>): Promise<ReconcileOutcome> {
    const { config, log, metrics } = this.deps;
    const now = this.deps.now ?? Date.now;
    const started = process.hrtime.bigint();
    const paths = agentPaths(config);

    const { peers, allocations, peers6, allocations6, invalid } = parseSnapshot(entries, meshBounds(config));
    metrics?.invalidRecords.set(invalid.length);
    const invalidIds = new Set(invalid.map((i) => `${i.key} ${i.reason}`));
    const fresh = [...invalidIds].filter((id) => !this.invalidSeen.has(id)).length;
    if (fresh > 0) metrics?.invalidRecordsTotal.inc(fresh);
    this.invalidSeen = invalidIds;
    const invalidSummary = invalid.map((i) => `${i.key} (${i.reason})`).join(", ");
    if (invalidSummary !== this.lastInvalid) {
      // Logged when the set changes, not on every reconcile: keys via keyForLog, never values.
      if (invalid.length > 0) log.warn(`skipping ${invalid.length} invalid record(s): ${invalidSummary}`);
      else log.info("no invalid records any more");
      this.lastInvalid = invalidSummary;
    }
    metrics?.peersKnown.set(peers.size);

    const t = now();
    this.startedAtMs ??= t;
    const startupGraceEndMs = this.startedAtMs + config.hostFileGraceSeconds * 1000;
    const inStartupGrace = t < startupGraceEndMs;
    this.departed = updateDeparted(this.departed, this.previous, peers, t, config.hostFileGraceSeconds);
    this.previous = peers;
    // peers.conf as BIRD has it: its sessions keep their timers, and those whose line changes get `reload in`.
    const peersOnDisk = this.readPeersFile();
    const desired = desiredState(config, peers, retainedHostFiles(this.departed), allocations, { sessions: this.sessions, nowMs: t, peersFile: peersOnDisk }, { peers6, allocations6 });
    for (const s of desired.skipped) log.warn(`peer ${s.name} left out of BIRD: ${s.reason}`);
    this.sessions = desired.sessions;
    if (desired.role !== this.role) {
      log.info(`BGP: ${desired.role === "mesh" ? "a full mesh" : desired.role === "reflector" ? "a route reflector" : "a client of the route reflectors"}`);
      this.role = desired.role;
    }
    const held = [...desired.sessions.values()].filter((s) => s.changeSinceMs !== undefined).length;
    if (held > 0) log.info(`${held} BGP session(s) kept as they were until the new ones are up (make before break)`);

    const writeOpts = {
      root: this.deps.root,
      owned: (p: string) => isAgentOwned(paths, p),
      // It may hold the BGP password: BIRD reads it through the owner or group of peers.d.
      enforcedMode: (p: string) => (p === paths.birdPeersFile ? PEERS_FILE_MODE : undefined),
    };
    // peers.conf is not written with the others: BIRD checks it first, while it is staged (runOwed).
    const others = new Map(desired.files);
    const peersText = others.get(paths.birdPeersFile);
    others.delete(paths.birdPeersFile);
    const written = writeChanged(others, { ...writeOpts, removeStale: inStartupGrace ? [] : [paths.hostsDir] });
    const peersFile = peersText === undefined ? undefined : stageChanged(paths.birdPeersFile, peersText, writeOpts);
    if (peersFile?.kind === "failed") written.failed.push({ path: paths.birdPeersFile, error: peersFile.error });
    if (peersFile?.kind === "unchanged" && peersFile.fixed) written.fixed.push(paths.birdPeersFile);
    for (const f of written.failed) log.error(`cannot write ${f.path}: ${f.error}`);
    if (written.fixed.length > 0) log.warn(`put back mode 0640 and the directory's owner and group on ${written.fixed.join(" ")}`);
    if (written.changed.length > 0) log.info(`wrote ${written.changed.join(" ")}`);
    if (written.removed.length > 0) log.info(`removed ${written.removed.join(" ")}`);

    const plan = planReload(config, written);
    if (plan.tinc) this.owed.tinc = true;
    if (plan.bird) this.owed.bird = true;
    const staged = peersFile?.kind === "staged" ? peersFile.staged : undefined;
    const reloadsOk = await this.runOwed(plan, staged && { staged, written, text: peersText ?? "", onDisk: peersOnDisk });

    const ok = written.failed.length === 0 && reloadsOk;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics?.reconcileSeconds.observe(seconds);
    metrics?.reconciles.inc({ result: ok ? "ok" : "error" });
    const departedExpiry = nextExpiryMs(this.departed, config.hostFileGraceSeconds);
    const expiries = [departedExpiry, inStartupGrace ? startupGraceEndMs : undefined, desired.nextSessionChangeAtMs].filter((x) => x !== undefined);
    const expiry = expiries.length ? Math.min(...expiries) : undefined;
    return {
      ok,
      changed: written.changed,
      removed: written.removed,
      owed: { ...this.owed },
      nextExpiryAtMs: expiry,
      invalid: invalid.length,
      peers: peers.size,
      seconds,
    };
  }

  /**
   * On a restart: would an agent with `next` (the config now on disk) write another peers.conf
   * than the one BIRD has? Then this node's sessions restart on its side (a new BGP password, say),
   * and the peers must restart theirs too: BFD on their side keeps the old session's discriminator
   * and rejects the new one's packets ("mismatched remote id"), and a side that failed on the
   * password waits out BGP's error backoff (up to 30 s). Withdrawing the record resets them.
   * Unknown (nothing reconciled yet, an unreadable file): true.
   */
  peersConfChangesWith(next: AgentConfig, entries: Iterable<readonly [string, string]>): boolean {
    if (this.startedAtMs === undefined) return true;
    try {
      const { peers, allocations, peers6, allocations6 } = parseSnapshot(entries, meshBounds(next));
      const desired = desiredState(next, peers, retainedHostFiles(this.departed), allocations, { sessions: this.sessions, nowMs: (this.deps.now ?? Date.now)(), peersFile: this.readPeersFile() }, { peers6, allocations6 });
      const text = desired.files.get(agentPaths(next).birdPeersFile);
      return text === undefined || text !== readFileSync(posix.join(this.deps.root ?? "/", agentPaths(next).birdPeersFile), "utf8");
    } catch {
      return true;
    }
  }

  /** Retries the reloads still owed (timer), without touching files. True when none is left. */
  async retryOwed(): Promise<boolean> {
    return this.runOwed(planReload(this.deps.config, { changed: [] }));
  }

  /**
   * Runs the reloads owed. `peers`: a new peers.conf, staged: BIRD checks it first, and only a
   * file BIRD accepts is renamed into place (and added to `written.changed`); a refused one is
   * dropped and the good one stays, also for BIRD's next start.
   */
  private async runOwed(plan: ReloadPlan, peers?: { staged: StagedFile; written: WriteResult; text: string; onDisk: string }): Promise<boolean> {
    const { config, run, log, metrics } = this.deps;
    if (this.owed.tinc) {
      const argv = (plan.tinc ?? tincReload(config)).argv;
      const r = await run(argv);
      metrics?.reloads.inc({ daemon: "tinc", result: r.ok ? "ok" : "failed" });
      if (r.ok) {
        this.owed.tinc = false;
        log.info("reloaded tinc");
      } else log.warn(`tinc reload failed, will retry: ${failureLine(r)}`);
    }
    // Whether the configuration now on disk has just been checked (no need to check it twice).
    let checked = false;
    let reloadIn: string[] = [];
    if (peers) {
      const paths = agentPaths(config);
      const accepted = await this.checkStaged(peers.staged);
      if (accepted === true) {
        try {
          reloadIn = sessionsToReload(peers.onDisk, peers.text);
          peers.staged.commit();
          syncDir(posix.dirname(peers.staged.temp));
          peers.written.changed.push(paths.birdPeersFile);
          log.info(`wrote ${paths.birdPeersFile}`);
          this.owed.bird = true;
          checked = true;
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          peers.written.failed.push({ path: paths.birdPeersFile, error: err.code ?? "rename failed" });
          log.error(`cannot write ${paths.birdPeersFile}: ${err.code ?? "rename failed"}`);
        }
      } else {
        peers.staged.discard();
        peers.written.failed.push({ path: paths.birdPeersFile, error: "BIRD refused it" });
        metrics?.reloads.inc({ daemon: "bird", result: "failed" });
        log.error(`BIRD config check failed, not applying it: ${accepted}; ${paths.birdPeersFile} keeps its last good version`);
      }
    }
    if (this.owed.bird) {
      const birdPlan = plan.bird ?? planReload(config, { changed: [agentPaths(config).birdPeersFile] }).bird!;
      const check = checked ? undefined : await run(birdPlan.check.argv);
      if (check && !check.ok) {
        metrics?.reloads.inc({ daemon: "bird", result: "failed" });
        log.error(`BIRD config check failed, not applying it: ${failureLine(check)}`);
      } else {
        const r = await run(birdPlan.configure.argv);
        // birdc exits 0 also when BIRD refuses the config; its reply says so.
        const refused = /error|failed|cannot/i.test(r.stdout) && !/Reconfigured|Reconfiguration in progress/i.test(r.stdout);
        const ok = r.ok && !refused;
        metrics?.reloads.inc({ daemon: "bird", result: ok ? "ok" : "failed" });
        if (ok) {
          this.owed.bird = false;
          log.info("reconfigured BIRD");
          for (const session of reloadIn) {
            // The configure's reply says which BIRD it is: BIRD 3 names the command `reload filters in`.
            const argv = reloadInArgv(session, r.stdout);
            const rr = await run(argv);
            if (rr.ok) log.info(`routes of ${session} filtered again (its import filter changed)`);
            else log.warn(`${argv.slice(0, -1).join(" ")} ${session} failed: ${failureLine(rr)}`);
          }
        } else log.warn(`birdc configure failed, will retry: ${failureLine(r)}`);
      }
    }
    metrics?.reloadsOwed.set({ daemon: "tinc" }, this.owed.tinc ? 1 : 0);
    metrics?.reloadsOwed.set({ daemon: "bird" }, this.owed.bird ? 1 : 0);
    return !this.owed.tinc && !this.owed.bird;
  }

  /** peers.conf as it is on disk, before a new one replaces it ("" when there is none). */
  private readPeersFile(): string {
    try {
      return readFileSync(posix.join(this.deps.root ?? "/", agentPaths(this.deps.config).birdPeersFile), "utf8");
    } catch {
      return "";
    }
  }

  /** true when BIRD accepts the configuration with the staged peers file in it; else why not (a log line). */
  private async checkStaged(staged: StagedFile): Promise<true | string> {
    const { config, run } = this.deps;
    const paths = agentPaths(config);
    const stagedHostPath = posix.join(paths.birdPeersDir, posix.basename(staged.temp));
    let checkConf: ReturnType<typeof stageCheckConfig>;
    try {
      checkConf = stageCheckConfig(paths, this.deps.root ?? "/", stagedHostPath);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return `cannot make the check config from ${paths.birdConf}: ${err.code ?? err.message}`;
    }
    try {
      const r = await run(birdCheck(checkConf.hostPath).argv);
      return r.ok ? true : failureLine(r);
    } finally {
      checkConf.file.discard();
    }
  }
}
