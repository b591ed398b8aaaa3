// probe → plan → apply script → probe again, for files, directories and guarded commands, run
// by a real shell on this machine in a temp folder (packages and services are covered on lab hosts).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DesiredHost } from "../../../src/model/resource.js";
import type { FileResource } from "../../../src/resources/file.js";
import { applyScripts, parseApplyOutput, phaseEnd } from "../../../src/engine/apply-script.js";
import { parseProbe } from "../../../src/engine/observed.js";
import { hasChanges, planHost } from "../../../src/engine/plan.js";
import { FACTS_SCRIPT } from "../../../src/engine/facts.js";
import { probeScript } from "../../../src/engine/probe-script.js";
import { run } from "../../../src/util/exec.js";
import { ENABLED } from "../../../src/resources/service.js";

let dir: string;
const origin = { where: "roles/t/role.yml:1" };
const noSecret = () => false;

function file(path: string, content: string, extra: Partial<FileResource> = {}): FileResource {
  return { kind: "file", path, content, owner: "root", group: "root", mode: "0644", notify: [], secret: false, source: "content", origin, ...extra };
}

function host(resources: DesiredHost["resources"]): DesiredHost {
  return { host: "local", roles: ["t"], resources, handlers: [{ name: "note", run: `echo handled >> ${dir}/handler.log`, origin }] };
}

/** The handler journal of these runs: a temp file, not the controller's own /var/lib/bgpmesh. */
const journal = () => `${dir}/journal`;

async function probe(d: DesiredHost) {
  const r = await run("sh", ["-c", FACTS_SCRIPT + "\n" + probeScript(d, journal())]);
  return parseProbe(r.stdout);
}

async function converge(d: DesiredHost) {
  const plan = planHost(d, await probe(d), noSecret);
  const r = await run("sh", ["-s"], { input: applyScripts(plan, journal()).first, allowFailure: true });
  return { plan, result: parseApplyOutput(r.stdout), stderr: r.stderr };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bgpmesh-cycle-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("probe → plan → apply", () => {
  it("creates what is missing, then finds nothing to do", async () => {
    const d = host([
      { kind: "directory", path: `${dir}/conf`, owner: "root", group: "root", mode: "0750", notify: [], origin },
      file(`${dir}/conf/app.conf`, "port = 1\n", { mode: "0640", notify: ["note"] }),
      { kind: "command", name: "marker", run: `touch ${dir}/marker`, creates: `${dir}/marker`, notify: [], origin },
    ]);
    const first = await converge(d);
    expect(first.plan.actions.map((a) => `${a.change} ${a.target}`)).toEqual([
      `create directory ${dir}/conf`,
      `create file ${dir}/conf/app.conf`,
      "run command marker",
    ]);
    expect(first.plan.handlers.map((h) => h.name)).toEqual(["note"]);
    expect(first.result.done).toBe(true);
    expect(readFileSync(`${dir}/conf/app.conf`, "utf8")).toBe("port = 1\n");
    expect((statSync(`${dir}/conf/app.conf`).mode & 0o7777).toString(8)).toBe("640");
    expect((statSync(`${dir}/conf`).mode & 0o7777).toString(8)).toBe("750");
    expect(readFileSync(`${dir}/handler.log`, "utf8")).toBe("handled\n");

    const again = planHost(d, await probe(d), noSecret);
    expect(hasChanges(again)).toBe(false);
    expect(again.unchanged).toBe(3);
  });

  it("shows a unified diff of a changed file and rewrites only that file", async () => {
    writeFileSync(`${dir}/a.conf`, "x = 1\ny = 2\n");
    writeFileSync(`${dir}/b.conf`, "same\n");
    const before = statSync(`${dir}/b.conf`).mtimeMs;
    const d = host([file(`${dir}/a.conf`, "x = 1\ny = 3\n"), file(`${dir}/b.conf`, "same\n")]);
    const { plan } = await converge(d);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]!.diff).toBe(`--- ${dir}/a.conf\n+++ ${dir}/a.conf\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n`);
    expect(readFileSync(`${dir}/a.conf`, "utf8")).toBe("x = 1\ny = 3\n");
    expect(statSync(`${dir}/b.conf`).mtimeMs).toBe(before);
  });

  it("fixes a mode without rewriting the content", async () => {
    writeFileSync(`${dir}/m.conf`, "m\n", { mode: 0o600 });
    const { plan } = await converge(host([file(`${dir}/m.conf`, "m\n")]));
    expect(plan.actions.map((a) => [a.change, a.detail])).toEqual([["set", "mode 0600 → 0644"]]);
    expect((statSync(`${dir}/m.conf`).mode & 0o7777).toString(8)).toBe("644");
  });

  it("keeps the old file when validation fails, leaves no temp file, and owes no handler", async () => {
    writeFileSync(`${dir}/v.conf`, "good\n");
    const d = host([file(`${dir}/v.conf`, "bad\n", { validate: "grep -q good %s", notify: ["note"] })]);
    const { result, stderr } = await converge(d);
    expect(result.done).toBe(false);
    expect(result.failed).toBe("a0");
    expect(stderr).toContain("validation failed: grep -q good %s");
    expect(readFileSync(`${dir}/v.conf`, "utf8")).toBe("good\n");
    expect(readdirSync(dir).filter((f) => f.includes("bgpmesh"))).toEqual([]);
    expect((await probe(d)).pendingHandlers).toEqual([]);
  });

  it("stops a step at its first failing command, and keeps the handler owed by a step that failed", async () => {
    const d = host([{ kind: "command", name: "two lines", run: `false\ntouch ${dir}/after`, notify: ["note"], origin }]);
    const { result } = await converge(d);
    expect(result.failed).toBe("a0");
    expect(existsSync(`${dir}/after`)).toBe(false);
    expect((await probe(d)).pendingHandlers).toEqual(["note"]);
  });

  it("does not let a step read the rest of the apply script from stdin", async () => {
    const d = host([
      { kind: "command", name: "reader", run: `cat > ${dir}/stdin.txt`, notify: [], origin },
      file(`${dir}/later.conf`, "later\n"),
    ]);
    const { result } = await converge(d);
    expect(result.done).toBe(true);
    expect(readFileSync(`${dir}/stdin.txt`, "utf8")).toBe("");
    expect(readFileSync(`${dir}/later.conf`, "utf8")).toBe("later\n");
  });

  it("never shows the content of a secret file", async () => {
    const d = host([file(`${dir}/s.conf`, "password = hunter2\n", { secret: true })]);
    const plan = planHost(d, await probe(d), noSecret);
    expect(plan.actions[0]!.diff).toBe("(content holds secret values: not shown)");
    expect(plan.actions[0]!.secret).toBe(true);
  });

  it("writes a `force: false` file only when it is missing, then leaves its content alone", async () => {
    const d = host([file(`${dir}/seed.conf`, "seed\n", { force: false })]);
    await converge(d);
    expect(readFileSync(`${dir}/seed.conf`, "utf8")).toBe("seed\n");
    writeFileSync(`${dir}/seed.conf`, "changed by its owner\n");
    const plan = planHost(d, await probe(d), noSecret);
    expect(plan.actions).toEqual([]);
  });

  it("splits the script before a serial handler, and waits for its check", async () => {
    const d: DesiredHost = {
      host: "local",
      roles: ["t"],
      resources: [file(`${dir}/x.conf`, "x\n", { notify: ["first", "rolling"] })],
      handlers: [
        { name: "first", run: `echo first >> ${dir}/h.log`, origin },
        { name: "rolling", run: `echo rolling >> ${dir}/h.log`, rolling: { size: { hosts: 2 }, if: `test -f ${dir}/x.conf` }, wait: { command: `test -f ${dir}/ready`, timeoutSec: 5 }, origin },
      ],
    };
    // Probe-time test false (file missing): the handler runs in parallel, in one script.
    let plan = planHost(d, await probe(d), noSecret);
    expect(plan.handlers.map((h) => h.rolling)).toEqual([undefined, undefined]);
    writeFileSync(`${dir}/x.conf`, "old\n");
    plan = planHost(d, await probe(d), noSecret, new Date(), { hosts: 10 });
    expect(plan.handlers.map((h) => h.rolling)).toEqual([undefined, { hosts: 2, jitterMs: 2000 }]);
    const scripts = applyScripts(plan, journal());
    expect(scripts.rolling.map((r) => r.turn)).toEqual([{ handler: "rolling", hosts: 2, jitterMs: 2000 }]);
    const one = await run("sh", ["-s"], { input: scripts.first });
    expect(one.stdout).toContain(phaseEnd(0));
    expect(readFileSync(`${dir}/h.log`, "utf8")).toBe("first\n");
    setTimeout(() => writeFileSync(`${dir}/ready`, ""), 1500);
    const t = Date.now();
    const two = await run("sh", ["-s"], { input: scripts.rolling[0]!.script });
    expect(parseApplyOutput(two.stdout).done).toBe(true);
    expect(Date.now() - t).toBeGreaterThan(1000);
    expect(readFileSync(`${dir}/h.log`, "utf8")).toBe("first\nrolling\n");
  });

  it("fails a serial handler whose check never passes", async () => {
    const d: DesiredHost = {
      host: "local",
      roles: ["t"],
      resources: [file(`${dir}/y.conf`, "y\n", { notify: ["rolling"] })],
      handlers: [{ name: "rolling", run: "true", rolling: { size: { hosts: 1 } }, wait: { command: "false", timeoutSec: 2 }, origin }],
    };
    const plan = planHost(d, await probe(d), noSecret);
    const scripts = applyScripts(plan, journal());
    await run("sh", ["-s"], { input: scripts.first });
    const two = await run("sh", ["-s"], { input: scripts.rolling[0]!.script, allowFailure: true });
    expect(parseApplyOutput(two.stdout).failed).toBe("h0");
    expect(two.stderr).toContain("still failing after 2s: false");
  });

  it("runs a handler whose serial test fails at once, without its wait", async () => {
    const d: DesiredHost = {
      host: "local",
      roles: ["t"],
      resources: [file(`${dir}/z.conf`, "z\n", { notify: ["rolling"] })],
      handlers: [{ name: "rolling", run: "true", rolling: { size: { hosts: 1 }, if: "false" }, wait: { command: "false", timeoutSec: 30 }, origin }],
    };
    const t = Date.now();
    const { plan, result } = await converge(d);
    expect(plan.handlers[0]!.rolling).toBeUndefined();
    expect(result.done).toBe(true);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it("skips a command whose `unless` check succeeds", async () => {
    const d = host([{ kind: "command", name: "never", run: "false", unless: "true", notify: [], origin }]);
    const plan = planHost(d, await probe(d), noSecret);
    expect(plan.actions).toEqual([]);
  });
});

describe("the last-run record a host keeps for `status`", () => {
  it("says ok with the steps done, or failed with those done before the failure", async () => {
    const record = { file: `${dir}/state/last-run.json`, kind: "push", from: "ctl \"one\"" };
    const good = host([file(`${dir}/a.conf`, "a\n", { notify: ["note"] }), file(`${dir}/b.conf`, "b\n")]);
    const plan = planHost(good, await probe(good), noSecret);
    await run("sh", ["-s"], { input: applyScripts(plan, journal(), record).first });
    const ok = JSON.parse(readFileSync(record.file, "utf8"));
    expect(ok).toMatchObject({ kind: "push", from: 'ctl "one"', result: "ok", changed: 3 });
    expect(Date.now() - Date.parse(ok.at)).toBeLessThan(60_000);

    const bad = host([file(`${dir}/c.conf`, "c\n"), { kind: "command", name: "boom", run: "exit 3", notify: [], origin }]);
    const plan2 = planHost(bad, await probe(bad), noSecret);
    await run("sh", ["-s"], { input: applyScripts(plan2, journal(), record).first, allowFailure: true });
    expect(JSON.parse(readFileSync(record.file, "utf8"))).toMatchObject({ result: "failed", changed: 1 });
  });
});

describe("handlers", () => {
  it("a restart of a unit makes a reload of the same unit due in the same run unnecessary", async () => {
    const d: DesiredHost = {
      host: "local",
      roles: ["t"],
      resources: [file(`${dir}/a.conf`, "a\n", { notify: ["reload p"] }), file(`${dir}/b.conf`, "b\n", { notify: ["restart p", "reload q"] })],
      handlers: [
        { name: "restart p", run: "systemctl restart p", origin },
        { name: "reload p", run: "systemctl reload p", origin },
        { name: "reload q", run: "systemctl reload q", origin },
      ],
    };
    const plan = planHost(d, await probe(d), noSecret);
    expect(plan.handlers.map((h) => h.name)).toEqual(["restart p", "reload q"]);
  });
});

describe("a unit this run starts from stopped", () => {
  // Probe lines as systemctl show gives them, by resource index (the file's own probe finds nothing).
  const unit = (active: string) => [["LoadState=loaded"], [`ActiveState=${active}`], ["UnitFileState=enabled"]];
  const observed = (active: string, pendingHandlers: string[] = []) => ({
    hostname: "h",
    systemd: true,
    pendingHandlers,
    serialHandlers: {},
    lines: { 1: unit(active), 3: unit(active) },
  });
  const d = (): DesiredHost => ({
    host: "h",
    roles: ["t"],
    resources: [
      file(`${dir}/d.conf`, "x\n", { notify: ["restart d"] }),
      { kind: "service", name: "d", enabled: true, state: "started", notify: [], origin },
      // A change after the start: its restart is still needed.
      file(`${dir}/e.conf`, "x\n", { notify: ["restart e"] }),
      { kind: "service", name: "e", state: "started", notify: [], origin },
      file(`${dir}/e2.conf`, "y\n", { notify: ["restart e"] }),
    ],
    handlers: [
      { name: "restart d", run: "systemctl restart d", origin },
      { name: "restart e", run: "systemctl restart e.service", origin },
      { name: "reload d", run: "systemctl reload d", origin },
    ],
  });

  it("is not restarted when every change that notifies its restart comes before the start", () => {
    const plan = planHost({ ...d(), resources: [file(`${dir}/d0.conf`, "x\n", { notify: ["reload d"] }), ...d().resources] }, { ...observed("inactive"), lines: { 2: unit("inactive"), 4: unit("inactive") } }, noSecret);
    expect(plan.actions.filter((a) => a.change === "start").map((a) => a.target)).toEqual(["service d.service", "service e.service"]);
    expect(plan.handlers.map((h) => h.name)).toEqual(["restart e"]);
  });

  it("still is restarted when it was running, and an owed restart or reload of a stopped unit is covered by its start", () => {
    expect(planHost(d(), observed("active"), noSecret).handlers.map((h) => h.name)).toEqual(["restart d", "restart e"]);
    const owedOnly: DesiredHost = { ...d(), resources: d().resources.slice(1, 2) };
    const plan = planHost(owedOnly, { ...observed("failed", ["restart d", "reload d"]), lines: { 0: unit("failed") } }, noSecret);
    expect(plan.actions.map((a) => a.change)).toEqual(["start"]);
    expect(plan.handlers).toEqual([]);
  });
});

describe("a first start after packages this run installs", () => {
  // The package is missing, so the run installs it; the install leaves the daemon stopped
  // (held-starts.test.ts), and the run starts it once with its own configuration.
  const d = (unit: string, unitFile?: string): DesiredHost => ({
    host: "h",
    roles: ["t"],
    resources: [
      { kind: "package", names: ["pkg"], origin },
      ...(unitFile ? [file(unitFile, "[Service]\n", { notify: ["restart d"] })] : []),
      file(`${dir}/d.conf`, "x\n", { notify: ["restart d"] }),
      { kind: "service", name: unit, state: "started", notify: [], origin },
    ],
    handlers: [{ name: "restart d", run: `systemctl restart ${unit}`, origin }],
  });
  const missingUnit = (at: number) => ({ hostname: "h", systemd: true, pendingHandlers: [], serialHandlers: {}, lines: { [at]: [["LoadState=not-found"], ["ActiveState=inactive"], ["UnitFileState="]] } });

  it("starts a packaged daemon once, by a restart in case its package started it anyway, and drops the handler's restart", () => {
    const plan = planHost(d("etcd"), missingUnit(2), noSecret);
    const start = plan.actions.find((a) => a.change === "start")!;
    expect(start.firstStart).toBe(true);
    expect(start.script).toBe("systemctl daemon-reload && systemctl restart etcd.service");
    expect(plan.actions[0]!.script).toContain("case $1 in etcd|etcd.service)");
    expect(plan.handlers).toEqual([]);
  });

  it("drops it for a unit of its own this run writes, and for an instance of a template unit", () => {
    expect(planHost(d("agent", "/etc/systemd/system/agent.service"), missingUnit(3), noSecret).handlers).toEqual([]);
    expect(planHost(d("tinc@mesh"), missingUnit(2), noSecret).handlers).toEqual([]);
  });
});

describe("systemd's unit reloads in a first apply", () => {
  const missing = [["LoadState=not-found"], ["ActiveState=inactive"], ["UnitFileState="]];
  const svc = (name: string) => ({ kind: "service" as const, name, enabled: true, state: "started" as const, notify: [], origin });

  it("reloads once after the install, and again only after a unit file written since; enabling reloads nothing more", () => {
    const d: DesiredHost = {
      host: "h",
      roles: ["t"],
      resources: [
        { kind: "package", names: ["pkg"], origin },
        svc("a"),
        svc("b"),
        file("/etc/systemd/system/c.service", "[Service]\n"),
        svc("c"),
      ],
      handlers: [],
    };
    const plan = planHost(d, { hostname: "h", systemd: true, pendingHandlers: [], serialHandlers: {}, lines: { 1: missing, 2: missing, 4: missing } }, noSecret);
    const ifNotEnabled = (u: string) => `case "$(systemctl is-enabled ${u} 2>/dev/null)" in ${[...ENABLED].join("|")}) ;; *) systemctl enable --no-reload ${u} >&2 ;; esac`;
    expect(plan.actions.filter((a) => a.kind === "service").map((a) => a.script)).toEqual([
      `systemctl daemon-reload && ${ifNotEnabled("a.service")}`,
      "systemctl restart a.service",
      ifNotEnabled("b.service"),
      "systemctl restart b.service",
      `systemctl daemon-reload && ${ifNotEnabled("c.service")}`,
      "systemctl restart c.service",
    ]);
  });

  it("drops a `reload systemd` handler that a step's reload comes after, and keeps it otherwise", () => {
    const dropIn = "/etc/systemd/system/a.service.d/x.conf";
    const d = (extra: DesiredHost["resources"] = []): DesiredHost => ({
      host: "h",
      roles: ["t"],
      resources: [{ kind: "package", names: ["pkg"], origin }, file(dropIn, "[Service]\n", { notify: ["reload systemd"] }), svc("a"), ...extra],
      handlers: [{ name: "reload systemd", run: "systemctl daemon-reload", origin }],
    });
    const handlers = (desired: DesiredHost, lines: Record<number, string[][]>, owed: string[] = []) =>
      planHost(desired, { hostname: "h", systemd: true, pendingHandlers: owed, serialHandlers: {}, lines }, noSecret).handlers.map((h) => h.name);
    // A first apply: the unit's enable reloads after the drop-in is written.
    expect(handlers(d(), { 2: missing })).toEqual([]);
    // ... and covers a reload an earlier run left owed.
    expect(handlers(d(), { 2: missing }, ["reload systemd"])).toEqual([]);
    // The drop-in changes on a host where the unit runs: no step reloads, the handler does.
    const running = [["LoadState=loaded"], ["ActiveState=active"], ["UnitFileState=enabled"]];
    expect(handlers(d(), { 2: running })).toEqual(["reload systemd"]);
    // A change after the last reload notifies it again.
    expect(handlers(d([file("/etc/systemd/system/b.service.d/y.conf", "[Service]\n", { notify: ["reload systemd"] })]), { 2: missing })).toEqual(["reload systemd"]);
  });

  it("enables a unit its package brought only if the install did not enable it, and a unit seen disabled at once", async () => {
    const d: DesiredHost = { host: "h", roles: ["t"], resources: [{ kind: "package", names: ["pkg"], origin }, svc("a")], handlers: [] };
    const enable = planHost(d, { hostname: "h", systemd: true, pendingHandlers: [], serialHandlers: {}, lines: { 1: missing } }, noSecret).actions.find((a) => a.change === "enable")!;
    // systemctl as the host would answer, logging each call.
    const log = async (state: string) => {
      const r = await run("sh", ["-c", `systemctl() { echo "systemctl $*" >> "$LOG"; [ "$1" != is-enabled ] || echo ${state}; }\n${enable.script}`], { env: { ...process.env, LOG: join(dir, `log-${state}`) } });
      expect(r.code).toBe(0);
      return readFileSync(join(dir, `log-${state}`), "utf8").trim().split("\n");
    };
    expect(await log("enabled")).toEqual(["systemctl daemon-reload", "systemctl is-enabled a.service"]);
    expect(await log("disabled")).toEqual(["systemctl daemon-reload", "systemctl is-enabled a.service", "systemctl enable --no-reload a.service"]);
    const seen = [["LoadState=loaded"], ["ActiveState=active"], ["UnitFileState=disabled"]];
    const known = planHost(d, { hostname: "h", systemd: true, pendingHandlers: [], serialHandlers: {}, lines: { 1: seen } }, noSecret).actions.find((a) => a.change === "enable")!;
    expect(known.script).toBe("systemctl enable --no-reload a.service >&2");
  });
});
