import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunResult } from "../../../../src/agent/daemon/exec.js";
import { redactingLogger, silentLogger, type Logger } from "../../../../src/agent/daemon/log.js";
import { AgentMetrics } from "../../../../src/agent/daemon/metrics.js";
import { Reconciler } from "../../../../src/agent/daemon/reconciler.js";
import { config, recordFields } from "../helpers.js";

const OK: RunResult = { ok: true, code: 0, stdout: "Reconfigured\n", stderr: "" };
const DOWN: RunResult = { ok: false, code: 1, stdout: "", stderr: "Unable to connect to server control socket\n", error: "exit 1" };

/** A fake runner: records argv, answers from `answers` by the command's first two words. */
function fakeRun(answers: Record<string, RunResult> = {}) {
  const calls: string[] = [];
  const run = async (argv: readonly string[]) => {
    const cmd = argv.join(" ");
    calls.push(cmd);
    return answers[argv.slice(0, 2).join(" ")] ?? OK;
  };
  return { run, calls };
}

// The shape of templates/bird/bird.conf.njk: the peers come in through the include at the end.
const BIRD_CONF = 'router id 10.0.0.1;\nprotocol device {\n}\ninclude "/etc/bird/peers.d/*.conf";\n';

// A new peers.conf is checked while staged: in a copy of bird.conf beside it (see bird-check.ts).
const STAGED_CHECK = /^bird -p -c \/etc\/bird\/\.bird\.conf\.bgpmesh-check\.bgpmesh-tmp-[0-9]+-[0-9a-f]+$/;

const entry = (name: string, i: number, overrides: Record<string, unknown> = {}) =>
  [`/peers/${name}`, JSON.stringify(recordFields(name, i, overrides))] as const;

describe("Reconciler", () => {
  let root: string;
  let now: number;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bgpmesh-reconcile-"));
    mkdirSync(join(root, "etc/tinc/bgpmesh/hosts"), { recursive: true });
    mkdirSync(join(root, "etc/bird/peers.d"), { recursive: true });
    writeFileSync(join(root, "etc/bird/bird.conf"), BIRD_CONF);
    now = 1_000_000;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const make = (run: ReturnType<typeof fakeRun>["run"], metrics?: AgentMetrics) =>
    new Reconciler({ config: config({ hostFileGraceSeconds: 300 }), run, log: silentLogger, root, now: () => now, metrics });

  it("writes the files, reloads tinc, checks BIRD before configuring it; an unchanged snapshot does nothing", async () => {
    const f = fakeRun();
    const r = make(f.run);
    const out = await r.reconcile([entry("node1", 1), entry("node2", 2), entry("node3", 3)]);
    expect(out.ok).toBe(true);
    expect(out.changed).toEqual(["/etc/tinc/bgpmesh/hosts/node2", "/etc/tinc/bgpmesh/hosts/node3", "/etc/tinc/bgpmesh/tinc.conf", "/etc/bird/peers.d/peers.conf"]);
    expect(f.calls).toEqual(["tincd -n bgpmesh -kHUP", expect.stringMatching(STAGED_CHECK), "birdc configure"]);
    expect(readFileSync(join(root, "etc/tinc/bgpmesh/tinc.conf"), "utf8")).toContain("ConnectTo = node2");

    const mtime = statSync(join(root, "etc/tinc/bgpmesh/hosts/node2")).mtimeMs;
    f.calls.length = 0;
    const again = await r.reconcile([entry("node3", 3), entry("node2", 2), entry("node1", 1)]);
    expect(again.changed).toEqual([]);
    expect(f.calls).toEqual([]);
    expect(statSync(join(root, "etc/tinc/bgpmesh/hosts/node2")).mtimeMs).toBe(mtime);
  });

  it("tells whether a restart with the config now on disk would change this node's BGP sessions", async () => {
    const f = fakeRun();
    const r = make(f.run);
    const peers = [entry("node2", 2), entry("node3", 3)];
    // Nothing reconciled yet: unknown, so a restart withdraws the record as a stop does.
    expect(r.peersConfChangesWith(config({ hostFileGraceSeconds: 300 }), peers)).toBe(true);
    await r.reconcile(peers);
    expect(r.peersConfChangesWith(config({ hostFileGraceSeconds: 300 }), peers)).toBe(false);
    // Another lease TTL or metrics port: the sessions stay. Another BGP password: they restart.
    expect(r.peersConfChangesWith(config({ hostFileGraceSeconds: 300, leaseTtlSeconds: 13, metricsPort: 2113 }), peers)).toBe(false);
    expect(r.peersConfChangesWith(config({ hostFileGraceSeconds: 300, bgpPassword: "a new one" }), peers)).toBe(true);
  });

  it("a changed peer record touches BIRD only, not tinc.conf", async () => {
    const f = fakeRun();
    const r = make(f.run);
    await r.reconcile([entry("node2", 2)]);
    f.calls.length = 0;
    const out = await r.reconcile([entry("node2", 2, { meshAddress: "10.0.0.22" })]);
    expect(out.changed).toEqual(["/etc/bird/peers.d/peers.conf"]);
    // The session's line changed: its routes are filtered again after the configure (reload-in.ts).
    expect(f.calls).toEqual([expect.stringMatching(STAGED_CHECK), "birdc configure", "birdc reload in peer_node2"]);
  });

  it("with BIRD 3 the changed session's routes are filtered again with `reload filters in`", async () => {
    const bird3: RunResult = { ok: true, code: 0, stdout: "BIRD 3.1.8 ready.\nReading configuration from /etc/bird/bird.conf\nReconfiguration in progress\n", stderr: "" };
    const f = fakeRun({ "birdc configure": bird3 });
    const r = make(f.run);
    await r.reconcile([entry("node2", 2)]);
    f.calls.length = 0;
    await r.reconcile([entry("node2", 2, { meshAddress: "10.0.0.22" })]);
    expect(f.calls).toEqual([expect.stringMatching(STAGED_CHECK), "birdc configure", "birdc reload filters in peer_node2"]);
  });

  it("keeps a failed reload owed and retries it without rewriting files", async () => {
    const down = fakeRun({ "birdc configure": DOWN, "tincd -n": DOWN });
    const metrics = new AgentMetrics(false);
    const r = make(down.run, metrics);
    const out = await r.reconcile([entry("node2", 2)]);
    expect(out.ok).toBe(false);
    expect(out.owed).toEqual({ tinc: true, bird: true });
    expect(await r.retryOwed()).toBe(false);

    // Daemons back: the next reconcile finds nothing to write but still reloads what is owed.
    const up = fakeRun();
    const r2 = r as unknown as { deps: { run: typeof up.run } };
    r2.deps.run = up.run;
    const next = await r.reconcile([entry("node2", 2)]);
    expect(next.changed).toEqual([]);
    expect(next.owed).toEqual({ tinc: false, bird: false });
    expect(up.calls).toEqual(["tincd -n bgpmesh -kHUP", "bird -p -c /etc/bird/bird.conf", "birdc configure"]);
    expect(await r.retryOwed()).toBe(true);
    expect((await metrics.registry.getSingleMetricAsString("bgpmesh_reloads_total"))).toContain('bgpmesh_reloads_total{daemon="bird",result="failed"} 2');
  });

  it("never runs birdc configure when bird -p -c fails", async () => {
    const f = fakeRun({ "bird -p": { ok: false, code: 1, stdout: "", stderr: "syntax error\n", error: "exit 1" } });
    const r = make(f.run);
    const out = await r.reconcile([entry("node2", 2)]);
    expect(f.calls).not.toContain("birdc configure");
    expect(out.owed.bird).toBe(true);
  });

  it("checks a changed peers.conf while it is staged: a refused one never replaces the good one, and BIRD is not reconfigured", async () => {
    const peersFile = join(root, "etc/bird/peers.d/peers.conf");
    writeFileSync(join(root, "etc/bird/peers.d/00-bgpmesh.conf"), "# provisioner's\n");
    const r = make(fakeRun().run);
    await r.reconcile([entry("node2", 2)]);
    const good = readFileSync(peersFile, "utf8");
    expect(good).toContain("neighbor 10.0.0.2;");

    // A BIRD that refuses the new peers.conf; what it was asked to check is kept to look at.
    const checked: string[] = [];
    const calls: string[] = [];
    const refusing = async (argv: readonly string[]) => {
      calls.push(argv.join(" "));
      if (argv[0] !== "bird") return OK;
      const conf = readFileSync(join(root, argv[3]!), "utf8");
      checked.push(conf);
      for (const [, inc] of conf.matchAll(/include "([^"]+)";/g)) {
        // BIRD's glob: `*` skips dot files.
        const files = inc!.endsWith("/*.conf")
          ? readdirSync(join(root, inc!.slice(0, -7))).filter((n) => n.endsWith(".conf") && !n.startsWith(".")).map((n) => `${inc!.slice(0, -6)}${n}`)
          : [inc!];
        for (const file of files) checked.push(readFileSync(join(root, file), "utf8"));
      }
      return { ok: false, code: 1, stdout: "", stderr: "bird: /etc/bird/peers.d/peers.conf:3:1 syntax error\n", error: "exit 1" };
    };
    (r as unknown as { deps: { run: typeof refusing } }).deps.run = refusing;
    const out = await r.reconcile([entry("node2", 2, { meshAddress: "10.0.0.22" })]);

    expect(out.ok).toBe(false);
    expect(out.changed).toEqual([]);
    expect(readFileSync(peersFile, "utf8")).toBe(good);
    expect(calls.some((c) => c.startsWith("birdc"))).toBe(false);
    // The new bytes were what BIRD checked, with the main config and the provisioner's file around them.
    expect(checked.join("\n")).toContain("neighbor 10.0.0.22;");
    expect(checked.join("\n")).toContain("# provisioner's");
    expect(checked.join("\n")).toContain("protocol device");
    // Nothing staged stays behind.
    expect(readdirSync(join(root, "etc/bird/peers.d")).sort()).toEqual(["00-bgpmesh.conf", "peers.conf"]);
    expect(readdirSync(join(root, "etc/bird")).sort()).toEqual(["bird.conf", "peers.d"]);

    // BIRD accepts the next one: it replaces the good one and BIRD is reconfigured.
    const f = fakeRun();
    (r as unknown as { deps: { run: typeof f.run } }).deps.run = f.run;
    const next = await r.reconcile([entry("node2", 2, { meshAddress: "10.0.0.23" })]);
    expect(next.changed).toEqual(["/etc/bird/peers.d/peers.conf"]);
    expect(readFileSync(peersFile, "utf8")).toContain("neighbor 10.0.0.23;");
    expect(f.calls.slice(-2)).toEqual(["birdc configure", "birdc reload in peer_node2"]);
  });

  it("counts invalid records (once each) and renders none of them", async () => {
    const f = fakeRun();
    const metrics = new AgentMetrics(false);
    const r = make(f.run, metrics);
    const bad = [
      ["/peers/../../etc/passwd", "{}"],
      ["/peers/evil", JSON.stringify(recordFields("evil", 9, { meshAddress: "10.0.0.9\nprotocol bgp x {}" }))],
      ["/peers/big", "a".repeat(40_000)],
    ] as const;
    const out = await r.reconcile([entry("node2", 2), ...bad]);
    await r.reconcile([entry("node2", 2), ...bad]);
    expect(out.invalid).toBe(3);
    expect(existsSync(join(root, "etc/tinc/bgpmesh/hosts/evil"))).toBe(false);
    expect(readFileSync(join(root, "etc/bird/peers.d/peers.conf"), "utf8")).not.toContain("10.0.0.9");
    expect(await metrics.registry.getSingleMetricAsString("bgpmesh_invalid_records")).toMatch(/^bgpmesh_invalid_records 3$/m);
    expect(await metrics.registry.getSingleMetricAsString("bgpmesh_invalid_records_total")).toMatch(/^bgpmesh_invalid_records_total 3$/m);
  });

  it("keeps a departed peer's host file for the grace period, then removes it", async () => {
    const f = fakeRun();
    const r = make(f.run);
    await r.reconcile([entry("node2", 2), entry("node3", 3)]);
    now += 1000;
    const gone = await r.reconcile([entry("node2", 2)]);
    expect(gone.changed).toEqual(["/etc/tinc/bgpmesh/tinc.conf", "/etc/bird/peers.d/peers.conf"]);
    expect(existsSync(join(root, "etc/tinc/bgpmesh/hosts/node3"))).toBe(true);
    // The first of: the end of the startup window (300 s after the first reconcile), node3's expiry.
    expect(gone.nextExpiryAtMs).toBe(now - 1000 + 300_000);
    now += 299_000;
    const stillKept = await r.reconcile([entry("node2", 2)]);
    expect(stillKept.removed).toEqual([]);
    expect(stillKept.nextExpiryAtMs).toBe(now + 1000);
    now += 1000;
    const expired = await r.reconcile([entry("node2", 2)]);
    expect(expired.removed).toEqual(["/etc/tinc/bgpmesh/hosts/node3"]);
  });

  it("after a restart, keeps host files on disk of peers missing from etcd for the grace period", async () => {
    writeFileSync(join(root, "etc/tinc/bgpmesh/hosts/node3"), "old host file\n");
    const f = fakeRun();
    const r = make(f.run);
    const first = await r.reconcile([entry("node2", 2)]);
    expect(first.removed).toEqual([]);
    expect(existsSync(join(root, "etc/tinc/bgpmesh/hosts/node3"))).toBe(true);
    expect(first.nextExpiryAtMs).toBe(now + 300_000);
    now += 300_000;
    const later = await r.reconcile([entry("node2", 2)]);
    expect(later.removed).toEqual(["/etc/tinc/bgpmesh/hosts/node3"]);
    expect(later.nextExpiryAtMs).toBeUndefined();
  });

  it("writes peers.conf 0640 with the BGP password, and no log line shows the password", async () => {
    const pw = "mesh-secret-42";
    const lines: string[] = [];
    const recording: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    // Even a BIRD that quoted its config back in an error would not get it into the log.
    const quoting: RunResult = { ok: false, code: 1, stdout: "", stderr: `bird: peers.conf:4: password "${pw}" not accepted\n`, error: "exit 1" };
    // BIRD accepts the first peers.conf (written), then refuses the next one (kept out).
    let refuse = false;
    const run = async (argv: readonly string[]) => (refuse && argv[0] === "bird" ? quoting : OK);
    const r = new Reconciler({ config: config({ bgpPassword: pw }), run, log: redactingLogger(recording, [pw]), root, now: () => now });
    await r.reconcile([entry("node2", 2), ["/peers/bad", "{}"]]);
    refuse = true;
    await r.reconcile([entry("node2", 2), entry("node3", 3), ["/peers/bad", "{}"]]);
    const peers = join(root, "etc/bird/peers.d/peers.conf");
    expect(readFileSync(peers, "utf8")).toContain(`neighbor 10.0.0.2; password "${pw}"; }`);
    expect(statSync(peers).mode & 0o777).toBe(0o640);
    expect(lines.some((l) => l.startsWith("BIRD config check failed"))).toBe(true);
    expect(lines.join("\n")).not.toContain(pw);
    expect(lines.join("\n")).toContain("[redacted]");
  });
});
