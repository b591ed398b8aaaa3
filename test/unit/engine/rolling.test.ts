import { describe, expect, it } from "vitest";
import { applyScripts, DONE, parseApplyOutput, phaseEnd } from "../../../src/engine/apply-script.js";
import { rollingHosts, rollingJitterMs, rollingTurns } from "../../../src/engine/rolling.js";
import type { HostPlan, PlannedHandler } from "../../../src/model/plan.js";
import { run } from "../../../src/util/exec.js";
import { sleep } from "../../../src/util/time.js";

describe("a rolling handler's size", () => {
  it("is a count, or a share of the run's hosts rounded down to at least one, capped by --serial", () => {
    expect(rollingHosts({ hosts: 5 }, 100)).toBe(5);
    expect(rollingHosts({ percent: 10 }, 100)).toBe(10);
    expect(rollingHosts({ percent: 10 }, 6)).toBe(1);
    expect(rollingHosts({ percent: 25 }, 10)).toBe(2);
    expect(rollingHosts({ percent: 100 }, 7)).toBe(7);
    expect(rollingHosts({ hosts: 5 }, 100, 2)).toBe(2);
    expect(rollingHosts({ hosts: 1 }, 100, 8)).toBe(1);
  });

  it("staggers several hosts at a time by up to 2 s unless told otherwise; one at a time, or a run of one host, not at all", () => {
    expect(rollingJitterMs(5, undefined, 100)).toBe(2000);
    expect(rollingJitterMs(1, undefined, 100)).toBe(0);
    expect(rollingJitterMs(5, 0.25, 100)).toBe(250);
    expect(rollingJitterMs(1, 3, 100)).toBe(3000);
    expect(rollingJitterMs(5, 3, 1)).toBe(0);
  });
});

describe("the run's rolling slots", () => {
  it("never let more than N hosts in at once, and every host gets its turn", async () => {
    const take = rollingTurns();
    let inside = 0;
    let most = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        take({ handler: "restart x", hosts: 3, jitterMs: 30 }, `n${i}`, async () => {
          most = Math.max(most, ++inside);
          await sleep(5 + (i % 4) * 5);
          inside--;
          done.push(i);
          return { value: i, ok: true };
        }),
      ),
    );
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("keeps handlers apart: each has its own slots", async () => {
    const take = rollingTurns();
    const inside = new Map<string, number>();
    const most = new Map<string, number>();
    let both = 0;
    const turn = (handler: string) =>
      take({ handler, hosts: 1, jitterMs: 0 }, "h", async () => {
        inside.set(handler, (inside.get(handler) ?? 0) + 1);
        most.set(handler, Math.max(most.get(handler) ?? 0, inside.get(handler)!));
        both = Math.max(both, [...inside.values()].reduce((x, y) => x + y, 0));
        await sleep(10);
        inside.set(handler, inside.get(handler)! - 1);
        return { value: undefined, ok: true };
      });
    await Promise.all([turn("a"), turn("b"), turn("a"), turn("b")]);
    expect([...most.values()]).toEqual([1, 1]);
    // a's and b's turns overlap (counted, not timed: a timed bound failed under CI load, 45 ms for 40)
    expect(both).toBe(2);
  });

  it("delays each host by its random share of the jitter before it takes a slot", async () => {
    const take = rollingTurns(() => 1);
    const t = Date.now();
    const started = await take({ handler: "h", hosts: 4, jitterMs: 150 }, "n1", async () => ({ value: Date.now() - t, ok: true }));
    expect(started).toEqual({ value: expect.any(Number) });
    expect((started as { value: number }).value).toBeGreaterThanOrEqual(145);
  });

  it("stops the roll once the handler failed on a host: the hosts still waiting do not run it, and hear where it failed", async () => {
    const take = rollingTurns();
    const ran: string[] = [];
    const results = await Promise.all(
      ["n1", "n2", "n3", "n4", "n5"].map((host) =>
        take({ handler: "restart x", hosts: 2, jitterMs: 0 }, host, async () => {
          ran.push(host);
          // n2 fails while n1 still holds the other slot
          await sleep(host === "n2" ? 1 : 30);
          return { value: host, ok: host !== "n2" };
        }),
      ),
    );
    expect(ran).toEqual(["n1", "n2"]);
    expect(results).toEqual([{ value: "n1" }, { value: "n2" }, { stoppedBy: "n2" }, { stoppedBy: "n2" }, { stoppedBy: "n2" }]);
    // another handler still rolls
    expect(await take({ handler: "restart y", hosts: 2, jitterMs: 0 }, "n3", async () => ({ value: 1, ok: true }))).toEqual({ value: 1 });
  });
});

describe("the apply script of a host with rolling handlers", () => {
  const handler = (name: string, rolling?: PlannedHandler["rolling"]): PlannedHandler => ({
    name,
    run: `echo ran ${name.replace(/ /g, "-")} >&2`,
    owed: false,
    notified: true,
    secret: false,
    ...(rolling && { rolling }),
  });
  const plan: HostPlan = {
    host: "h",
    observedDigest: "",
    actionsDigest: "",
    actions: [],
    handlers: [handler("reload a"), handler("restart b", { hosts: 2, jitterMs: 0 }), handler("reload c"), handler("restart d", { hosts: 1, jitterMs: 0 })],
    unchanged: 0,
    unknownOwed: [],
    notes: [],
  };

  it("is cut at each rolling handler: a piece per slot, holding the handlers up to the next one", async () => {
    const journal = `/tmp/bgpmesh-rolling-test-${process.pid}/pending`;
    const s = applyScripts(plan, journal);
    expect(s.rolling.map((r) => r.turn)).toEqual([
      { handler: "restart b", hosts: 2, jitterMs: 0 },
      { handler: "restart d", hosts: 1, jitterMs: 0 },
    ]);
    expect(s.first).toContain("ran reload-a");
    expect(s.first).not.toContain("ran restart-b");
    expect(s.rolling[0]!.script).toContain("ran restart-b");
    expect(s.rolling[0]!.script).toContain("ran reload-c");
    expect(s.rolling[1]!.script).toContain("ran restart-d");
    // The host prints each piece's end marker, the last piece ends the script.
    const out = await run("sh", ["-s"], { input: [s.first, ...s.rolling.map((r) => r.script)].join("\n") });
    const markers = out.stdout.split("\n").filter((l) => l.startsWith("@@phase-end") || l === DONE);
    expect(markers).toEqual([phaseEnd(0), phaseEnd(1), DONE]);
    expect(out.stderr.trim().split("\n")).toEqual(["ran reload-a", "ran restart-b", "ran reload-c", "ran restart-d"]);
    expect(parseApplyOutput(out.stdout)).toMatchObject({ done: true, ok: new Set(["h0", "h1", "h2", "h3"]) });
  });
});
