// One host, start to end, in ONE command: it takes the host lock, runs the probe, and then reads
// the apply script from its stdin. The plan is made locally in between; if nothing must change
// stdin is simply closed. The lock is held for as long as anything of ours runs on the host,
// even when the controller dies half-way through an apply.
import { hostname } from "node:os";
import { shellQuote } from "../util/shell.js";
import { stopwatch } from "../util/time.js";
import type { ExecResult, Session, Transport } from "../transport/transport.js";
import { UnreachableError } from "../transport/transport.js";
import type { HostPlan, SignSpec } from "../model/plan.js";
import type { DesiredHost } from "../model/resource.js";
import type { HostResult } from "../model/result.js";
import { applyScripts, csrEnd, LAST_RUN_FILE, parseApplyOutput, phaseEnd, recordScript, requestFrom, type RunRecord } from "./apply-script.js";
import { FACTS_SCRIPT, parseFacts, type HostFacts } from "./facts.js";
import { parseProbe } from "./observed.js";
import { hasChanges, planHost, type RunShape } from "./plan.js";
import { probeScript } from "./probe-script.js";
import type { TakeTurn } from "./rolling.js";

export const LOCK_FILE = "/run/bgpmesh.lock";
const FACTS_END = "@@facts-end";
const PROBE_END = "@@probe-end";
const LOCK_BUSY = 75;

export interface HostRunOptions {
  apply: boolean;
  lockTimeoutSec: number;
  /** a saved plan's digests: refuse the host when the state or the inputs moved */
  expected?: { observedDigest: string; actionsDigest: string };
  hasSecret: (text: string) => boolean;
  redact: (text: string) => string;
  progress: (host: string, msg: string) => void;
  /** runs `fn` while this host holds a slot of a rolling handler (see rolling.ts) */
  takeTurn: TakeTurn;
  /** the run's size and `--serial`, for rolling handlers' slots */
  run?: RunShape;
  /** named in the lock's owner file, for whoever has to wait */
  runKind: "push" | "pull";
  beforeApply?: (plan: HostPlan) => void;
  /** the hosts of earlier plays still running, and when they are done: this host's changes wait for them (run.ts) */
  earlierPlays?: () => { pending: number; done: Promise<unknown> };
  /** signs a host's certificate request with the mesh CA (push only) */
  sign?: (spec: SignSpec, csrPem: string) => Promise<string>;
  /** the step the host has started, as the recap names it ("install packages …", "handler …") */
  stepStart?: (host: string, step: string) => void;
}

const runRecord = (opts: HostRunOptions): RunRecord => ({ file: LAST_RUN_FILE, kind: opts.runKind, from: hostname() });

/** Lock, print the host's facts, then run whatever arrives on stdin: the probe, then the apply script (none: nothing to change). */
function lockedSession(timeoutSec: number, runKind: string): string {
  const owner = `${runKind} from ${hostname()} (pid ${process.pid})`;
  const inner = [`printf '%s since %s\\n' ${shellQuote(owner)} "$(date -Is)" > ${LOCK_FILE}.owner`, FACTS_SCRIPT, `echo ${FACTS_END}`, "exec sh -s"].join("\n");
  return `flock -E ${LOCK_BUSY} -w ${timeoutSec} ${LOCK_FILE} sh -c ${shellQuote(inner)}`;
}

/**
 * The probe as the host's shell reads it from stdin: one compound command, so that no command of
 * it can read the rest of the session's input, and a marker when it is done.
 */
const probeInput = (desired: DesiredHost) => `{\n${probeScript(desired)}\n} </dev/null\necho ${CPU_MARK}; times\necho ${PROBE_END}\n`;

/**
 * `times` after the probe: the CPU the host's shell and the commands it waited for have used so far
 * (the facts and the probe), user and system, as `0m0.004000s 0m0.000000s` on two lines (dash;
 * bash prints fewer digits). Seconds, or undefined when the lines are not there.
 */
const CPU_MARK = "@@cpu";
export function probeCpuSeconds(probeOut: string): number | undefined {
  const at = probeOut.lastIndexOf(`${CPU_MARK}\n`);
  if (at < 0) return undefined;
  const times = [...probeOut.slice(at).matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return times.length === 4 ? times.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * `desiredFor` gives the host's desired state for its facts (its release decides package names and
 * templates); it throws when the host cannot be managed (an unsupported release).
 */
export async function runHost(
  host: string,
  desiredFor: (facts: HostFacts) => DesiredHost,
  connect: () => Promise<Transport>,
  opts: HostRunOptions,
): Promise<HostResult> {
  const elapsed = stopwatch();
  const result: HostResult = { host, status: "ok", ok: 0, changed: 0, applied: [], roundTrips: 0, seconds: 0 };
  const finish = (r: Partial<HostResult>) => Object.assign(result, r, { seconds: elapsed() });
  let t: Transport;
  try {
    t = await connect();
  } catch (e) {
    return finish({ status: e instanceof UnreachableError ? "unreachable" : "failed", error: opts.redact((e as Error).message) });
  }
  try {
    const session = await t.start(lockedSession(opts.lockTimeoutSec, opts.runKind));
    let factsOut: string;
    try {
      factsOut = await session.readUntil(FACTS_END);
    } catch (e) {
      const end = await session.end().catch(() => undefined);
      if (end?.code === LOCK_BUSY) {
        const owner = await t.exec(`cat ${LOCK_FILE}.owner 2>/dev/null`).catch(() => undefined);
        throw new Error(
          `another apply or pull holds the host lock (${LOCK_FILE}): ${owner?.stdout.trim() || "holder unknown"}; waited ${opts.lockTimeoutSec}s (--lock-timeout)`,
        );
      }
      throw new Error(`probe failed: ${(e as Error).message}`);
    }
    let desired: DesiredHost;
    try {
      desired = desiredFor(parseFacts(factsOut));
    } catch (e) {
      await session.end().catch(() => undefined);
      throw e;
    }
    session.write(probeInput(desired));
    let probeOut: string;
    try {
      probeOut = await session.readUntil(PROBE_END);
    } catch (e) {
      await session.end().catch(() => undefined);
      throw new Error(`probe failed: ${(e as Error).message}`);
    }
    const cpu = probeCpuSeconds(probeOut);
    if (cpu !== undefined) result.probeCpuSeconds = cpu;
    const plan = planHost(desired, parseProbe(factsOut + probeOut), opts.hasSecret, new Date(), opts.run);
    result.plan = plan;
    result.ok = plan.unchanged;
    const stale = opts.expected && staleReason(opts.expected, plan);
    if (stale || !opts.apply || !hasChanges(plan)) {
      // An apply with nothing to change is still the last run that reached the host.
      await session.end(opts.apply && !stale ? `${recordScript(runRecord(opts), "ok")}\n` : undefined);
      return finish(stale ? { status: "stale", error: stale } : { status: "ok" });
    }
    const earlier = opts.earlierPlays?.();
    if (earlier?.pending) {
      const wait = stopwatch();
      opts.progress(host, `waiting for ${earlier.pending} host(s) of earlier plays to finish before applying`);
      await earlier.done;
      opts.progress(host, `the hosts of earlier plays are done (waited ${wait().toFixed(1)}s)`);
    }
    opts.beforeApply?.(plan);
    opts.progress(host, `applying ${plan.actions.length} change(s), ${plan.handlers.length} handler(s)`);
    const stop: { why?: string } = {};
    const timings: { step: string; seconds: number }[] = [];
    const run = await execute(host, session, plan, opts, stop, timings);
    if (timings.length) result.stepSeconds = timings;
    return finish(outcome(plan, run, opts.redact, stop.why));
  } catch (e) {
    return finish({ status: e instanceof UnreachableError ? "unreachable" : "failed", error: opts.redact((e as Error).message) });
  } finally {
    result.roundTrips = t.roundTrips;
    await t.close().catch(() => undefined);
  }
}

function staleReason(expected: { observedDigest: string; actionsDigest: string }, plan: HostPlan): string | undefined {
  if (expected.observedDigest !== plan.observedDigest) return "stale plan: the host changed since the plan was made; make a new plan";
  if (expected.actionsDigest !== plan.actionsDigest) {
    return "stale plan: the inventory, roles, templates or -e values changed since the plan was made; make a new plan";
  }
  return undefined;
}

/**
 * Sends the apply script, piece by piece when the controller has work in between: a certificate to
 * sign (the host printed its request), or a handler that must wait for this host's turn.
 */
async function execute(
  host: string,
  session: Session,
  plan: HostPlan,
  opts: HostRunOptions,
  stop: { why?: string },
  timings: { step: string; seconds: number }[],
): Promise<ExecResult> {
  const scripts = applyScripts(plan, undefined, runRecord(opts));
  if (session.onLine) {
    // Each step's start and end as the host prints them: the live line, and each step's time in the report.
    const names = stepNames(plan);
    const started = new Map<string, number>();
    session.onLine((line) => {
      const [mark, id = ""] = line.split(" ", 2);
      const name = names.get(id);
      if (!name) return;
      if (mark === "@@run") {
        started.set(id, performance.now());
        opts.stepStart?.(host, name);
      } else if (mark === "@@ok" && started.has(id)) {
        timings.push({ step: name, seconds: Math.round(performance.now() - started.get(id)!) / 1000 });
      }
    });
  }
  const rolling = scripts.rolling;
  if (scripts.signs.length === 0 && rolling.length === 0) return session.end(scripts.first);
  session.write(scripts.first);
  for (const [k, pause] of scripts.signs.entries()) {
    const printed = await session.readUntil(csrEnd(pause.id)).catch(() => undefined);
    // The script stopped before printing the request: a step failed, its output says which.
    if (printed === undefined) return session.end();
    let next: string;
    try {
      if (!opts.sign) throw new Error("this run cannot sign certificates (a pull has no CA: run apply from the controller)");
      next = pause.resume(await opts.sign(pause.spec, requestFrom(printed, pause.id)));
      opts.progress(host, `signed ${pause.spec.certPath} (CN=${pause.spec.commonName}, ${pause.spec.days} days)`);
    } catch (e) {
      return session.end(pause.abort((e as Error).message));
    }
    if (k === scripts.signs.length - 1 && rolling.length === 0) return session.end(next);
    session.write(next);
  }
  // A step failed when a marker never comes; end() then collects what the host printed.
  const reached = (k: number) => session.readUntil(phaseEnd(k)).then(
    () => true,
    () => false,
  );
  if (!(await reached(0))) return session.end();
  for (const [k, { turn, script }] of rolling.entries()) {
    const last = k === rolling.length - 1;
    const turned = await opts.takeTurn(turn, host, async () => {
      const took = stopwatch();
      opts.progress(host, `handler ${turn.handler}: this host's turn (${turn.hosts === 1 ? "one host at a time" : `at most ${turn.hosts} hosts at once`})`);
      let done: ExecResult | undefined;
      if (last) done = await session.end(script);
      else {
        session.write(script);
        if (!(await reached(k + 1))) done = await session.end();
      }
      const ok = done ? parseApplyOutput(done.stdout).done : true;
      opts.progress(host, `handler ${turn.handler}: ${ok ? "done" : "FAILED"}, slot freed after ${took().toFixed(1)}s`);
      return { value: done, ok };
    });
    if ("stoppedBy" in turned) {
      // The host's shell reads no further: the handler stays owed in its journal.
      stop.why = `handler ${turn.handler} not run: it failed on ${turned.stoppedBy}, which stopped the roll; it stays owed, and the next apply runs it`;
      return session.end(`${recordScript(runRecord(opts), "failed")}\n`);
    }
    if (turned.value) return turned.value;
  }
  return session.end();
}

/** Each step's id in the apply script → its name in the recap and the report. */
function stepNames(plan: HostPlan): Map<string, string> {
  return new Map([
    ...plan.actions.map((a, i) => [`a${i}`, `${a.change} ${a.target}`] as const),
    ...plan.handlers.map((h, i) => [`h${i}`, `handler ${h.name}`] as const),
  ]);
}

/** What the apply script's markers say: the steps that ran, and where it stopped if it did. */
function outcome(plan: HostPlan, run: ExecResult, redact: (t: string) => string, stopped?: string): Partial<HostResult> {
  const steps = parseApplyOutput(run.stdout);
  const names = [...stepNames(plan)];
  const applied = names.filter(([id]) => steps.ok.has(id)).map(([, what]) => what);
  // A resource is ok once every step it needed has run.
  const pending = new Set(plan.actions.filter((_, i) => !steps.ok.has(`a${i}`)).map((a) => a.resource));
  const ok = plan.unchanged + new Set(plan.actions.map((a) => a.resource).filter((r) => !pending.has(r))).size;
  if (steps.done) return { status: "changed", applied, changed: applied.length, ok };
  if (stopped) return { status: "failed", applied, changed: applied.length, ok, error: stopped };
  const failed = names.find(([id]) => id === steps.failed)?.[1] ?? "the apply script";
  const tail = run.stderr.trim().split("\n").slice(-12).join("\n");
  return { status: "failed", applied, changed: applied.length, ok, error: redact(`${failed} failed (exit ${run.code})${tail ? `:\n${tail}` : ""}`) };
}
