// The one script that applies a host's plan. Each step runs in a subshell with `set -e` and
// reports on stdout (its own output goes to stderr): "@@ok N" / "@@failed N". Handlers a step
// notifies are written to the host's journal BEFORE the step runs, so a run that dies half-way
// leaves them owed, and the next apply runs them.
import { shellQuote } from "../util/shell.js";
import type { HostPlan, PlannedHandler, SignSpec } from "../model/plan.js";
import { kindOf } from "../resources/registry.js";
import { JOURNAL } from "./probe-script.js";
import type { RollingTurn } from "./rolling.js";

export const DONE = "@@done";
export const LAST_RUN_FILE = "/var/lib/bgpmesh/last-run.json";

/** What the host keeps about the last apply or pull that reached it, for `status`. */
export interface RunRecord {
  file: string;
  /** push or pull */
  kind: string;
  /** the machine the run came from */
  from: string;
}

/** Writes the record (result, the steps done so far in $okc, the host's clock) whole, by rename. */
export function recordScript(r: RunRecord, result: "ok" | "failed"): string {
  const rest = JSON.stringify({ kind: r.kind, from: r.from, result }).slice(1, -1);
  return `mkdir -p ${shellQuote(r.file.slice(0, r.file.lastIndexOf("/")))} && printf '{"at":"%s","changed":%s,%s}\\n' "$(date -Is)" "\${okc:-0}" ${shellQuote(rest)} > ${shellQuote(`${r.file}.tmp`)} && mv -f ${shellQuote(`${r.file}.tmp`)} ${shellQuote(r.file)}`;
}
/** printed when the steps before rolling piece `k` are done (see host-run.ts) */
export const phaseEnd = (k: number): string => `@@phase-end ${k}`;

/**
 * One step: a subshell with errexit, its stdin /dev/null (the apply script itself arrives on the
 * shell's stdin) and its output on stderr. Its status is read afterwards, not with `||`: a
 * subshell tested by `||` would run with errexit switched off.
 */
function step(id: string, script: string, onFailure: string[] = []): string[] {
  // "@@run <id>" as it starts: the controller shows which step each host is on (progress-line.ts).
  return [`echo "@@run ${id}"`, `( set -e`, script, `) </dev/null >&2`, `if [ $? -ne 0 ]; then ${[...onFailure, `echo "@@failed ${id}"`, "exit 1"].join("; ")}; fi`, `echo "@@ok ${id}"`, "okc=$((okc + 1))"];
}

/** The handler's command; for a rolling one, then its `wait` retried every second until it succeeds or time runs out. */
function handlerScript(h: PlannedHandler): string {
  if (!h.rolling || !h.wait) return h.run;
  const { command, timeoutSec } = h.wait;
  return [
    h.run,
    "start=$(date +%s)",
    `until timeout ${timeoutSec} sh -c ${shellQuote(command)} >/dev/null 2>&1; do`,
    `  if [ $(( $(date +%s) - start )) -ge ${timeoutSec} ]; then echo ${shellQuote(`still failing after ${timeoutSec}s: ${command}`)}; exit 1; fi`,
    "  sleep 1",
    "done",
  ].join("\n");
}

/** A certificate the controller signs half-way through the apply script (see host-run.ts). */
export interface SignPause {
  /** the step's id: the script printed "@@csr <id> <base64 request>" then "@@csr-end <id>" */
  id: string;
  spec: SignSpec;
  /** what to send once signed: the step that writes the certificate, then the script up to the next pause */
  resume: (certPem: string) => string;
  /** what to send when signing failed: the step fails, the script stops */
  abort: (reason: string) => string;
}

export interface ApplyScripts {
  /** everything, or the script up to its first pause */
  first: string;
  /** certificates to sign, in order; after the last one's `resume` comes `second`, if any */
  signs: SignPause[];
  /**
   * after `first` (and the signs): from each rolling handler up to the next one, a piece sent only
   * while this host holds that handler's slot; piece k is sent once the host printed phaseEnd(k)
   */
  rolling: { turn: RollingTurn; script: string }[];
}

export const csrEnd = (id: string) => `@@csr-end ${id}`;

/** The certificate request a paused script printed before `csrEnd(id)`, as PEM. */
export function requestFrom(output: string, id: string): string {
  const line = output.split("\n").find((l) => l.startsWith(`@@csr ${id} `));
  const pem = Buffer.from(line?.slice(`@@csr ${id} `.length).trim() ?? "", "base64").toString("utf8");
  if (!pem.includes("CERTIFICATE REQUEST")) throw new Error("the host printed no certificate request (is its key readable?)");
  return pem;
}

/**
 * The script that applies a host's plan. It is sent in pieces when the controller has work to do
 * in between: each certificate to issue pauses it (the host prints its request, the controller
 * signs it, the next piece writes the certificate), and a rolling handler waits for a slot (at
 * most so many hosts at once). The command on the host reads its stdin as it goes.
 */
export function applyScripts(plan: HostPlan, journal = JOURNAL, record?: RunRecord): ApplyScripts {
  const failed = record ? [recordScript(record, "failed")] : [];
  let piece = [
    "export LC_ALL=C DEBIAN_FRONTEND=noninteractive",
    "okc=0",
    `mkdir -p ${journal.slice(0, journal.lastIndexOf("/"))}`,
    `owe() { grep -qxF -- "$1" ${journal} 2>/dev/null || printf '%s\\n' "$1" >> ${journal}; }`,
    `unowe() { if [ -f ${journal} ]; then grep -vxF -- "$1" ${journal} > ${journal}.new; mv -f ${journal}.new ${journal}; fi; }`,
  ];
  const pieces: string[][] = [piece];
  const signs: (Omit<SignPause, "resume"> & { writeStep: (pem: string) => string[] })[] = [];
  const owedBefore = new Set(plan.handlers.filter((h) => h.owed).map((h) => h.name));
  plan.actions.forEach((a, i) => {
    const id = `a${i}`;
    const fresh = a.notify.filter((h) => !owedBefore.has(h));
    for (const h of a.notify) piece.push(`owe ${shellQuote(h)}`);
    // An atomic step that failed changed nothing, so it owes no handler after all.
    const undo = a.atomic ? fresh.map((h) => `unowe ${shellQuote(h)}`) : [];
    if (!a.sign) {
      piece.push(...step(id, a.script, [...undo, ...failed]));
      return;
    }
    piece.push(`printf '@@csr ${id} '; ${a.script}; echo`, `echo ${shellQuote(csrEnd(id))}`, "");
    const onFailure = [...undo, ...failed];
    const sign = a.sign;
    const signed = kindOf(a.kind).signed;
    if (!signed) throw new Error(`internal: resource kind '${a.kind}' planned a certificate to sign but cannot write one`);
    signs.push({
      id,
      spec: sign,
      abort: (reason) => [`echo ${shellQuote(`cannot issue the certificate: ${reason}`)} >&2`, ...onFailure, `echo "@@failed ${id}"`, "exit 1", ""].join("\n"),
      writeStep: (pem) => step(id, signed(sign, pem), onFailure),
    });
    piece = [];
    pieces.push(piece);
  });
  const tail = [`rm -f ${journal}`, ...(record ? [recordScript(record, "ok")] : []), `echo ${DONE}`, ""];
  const handlerSteps = (from: number, to: number) =>
    plan.handlers.slice(from, to).flatMap((h, k) => step(`h${from + k}`, handlerScript(h), failed));
  // Each rolling handler starts a piece of its own, which holds its slot until the next one starts:
  // the handlers after it (rolling or not) run before the host frees the slot.
  const starts = plan.handlers.flatMap((h, i) => (h.rolling ? [i] : []));
  piece.push(...handlerSteps(0, starts[0] ?? plan.handlers.length));
  const rolling = starts.map((from, k) => {
    const h = plan.handlers[from]!;
    const last = k === starts.length - 1;
    const steps = handlerSteps(from, last ? plan.handlers.length : starts[k + 1]!);
    return { turn: { handler: h.name, ...h.rolling! }, script: [...steps, ...(last ? tail : [`echo ${shellQuote(phaseEnd(k + 1))}`, ""])].join("\n") };
  });
  piece.push(...(rolling.length ? [`echo ${shellQuote(phaseEnd(0))}`, ""] : tail));
  const texts = pieces.map((p) => p.join("\n"));
  return {
    first: texts[0]!,
    signs: signs.map(({ writeStep, ...s }, k) => ({ ...s, resume: (pem: string) => [...writeStep(pem), texts[k + 1]!].join("\n") })),
    rolling,
  };
}

export interface StepResults {
  ok: Set<string>;
  failed?: string;
  done: boolean;
}

export function parseApplyOutput(stdout: string): StepResults {
  const res: StepResults = { ok: new Set(), done: false };
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@@ok ")) res.ok.add(line.slice(5));
    else if (line.startsWith("@@failed ")) res.failed = line.slice(9);
    else if (line === DONE) res.done = true;
  }
  return res;
}
