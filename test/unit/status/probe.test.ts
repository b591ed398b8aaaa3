import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseStatus, statusScript } from "../../../src/status/probe.js";
import { run } from "../../../src/util/exec.js";
import { BIRD2_ALL, BIRD3_ALL } from "../fields/show-protocols-all.js";
import { answer, LAST_RUN_FAILED, LAST_RUN_OK, NODE1, SHOW_PROTOCOLS_ALL } from "./fixtures.js";

describe("the status command's answer", () => {
  it("reads the agent, the peer_* sessions and the last run of a healthy host", () => {
    expect(parseStatus(NODE1)).toEqual({
      agent: "active",
      bgp: { established: 1, sessions: 2, filtered: 2 },
      lastRun: { at: "2026-11-24T05:14:10+00:00", changed: 4, kind: "push", from: "ctl", result: "ok" },
    });
  });

  it("counts the routes filtered over every peer, 0 where BIRD prints no filtered count", () => {
    const bgp = (bird: string) => parseStatus(answer({ agent: "active\nloaded", bird, lastRun: LAST_RUN_OK })).bgp;
    expect(bgp(`${BIRD2_ALL}@@exit 0`)).toEqual({ established: 2, sessions: 3, filtered: 3 });
    expect(bgp(`${BIRD3_ALL}@@exit 0`)).toEqual({ established: 1, sessions: 2, filtered: 3 });
    expect(bgp(`${SHOW_PROTOCOLS_ALL.replace("1 imported, 2 filtered, 1 exported", "1 imported, 1 exported")}@@exit 0`)).toEqual({ established: 1, sessions: 2, filtered: 0 });
    expect(bgp("BIRD 2.0.12 ready.\nAccess restricted\n@@exit 0")).toEqual({ established: 0, sessions: 0, filtered: 0 });
  });

  it("says why there are no sessions: birdc missing, BIRD down, birdc hung", () => {
    const bgp = (bird: string) => parseStatus(answer({ agent: "active\nloaded", bird, lastRun: LAST_RUN_OK })).bgp;
    expect(bgp("sh: birdc: not found\n@@exit 127")).toEqual({ problem: "no birdc" });
    expect(bgp("timeout: failed to run command 'birdc': No such file or directory\n@@exit 127")).toEqual({ problem: "no birdc" });
    expect(bgp("Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n@@exit 1")).toEqual({ problem: "bird down" });
    expect(bgp("@@exit 124")).toEqual({ problem: "birdc timed out" });
    expect(bgp("@@exit 2")).toEqual({ problem: "birdc failed: exit 2" });
    expect(bgp("BIRD 2.0.12 ready.\nAccess denied\n@@exit 2")).toEqual({ problem: "birdc failed: Access denied" });
  });

  it("keeps the other parts when one fails", () => {
    const p = parseStatus(answer({ agent: "inactive\nnot-found", bird: "sh: 1: birdc: not found\n@@exit 127", lastRun: "@@absent" }));
    expect(p).toEqual({ agent: "not installed", bgp: { problem: "no birdc" }, lastRun: null });
  });

  it("reads a failed last run, and calls a damaged record unreadable", () => {
    const last = (lastRun: string) => parseStatus(answer({ agent: "active\nloaded", bird: `${SHOW_PROTOCOLS_ALL}@@exit 0`, lastRun })).lastRun;
    expect(last(LAST_RUN_FAILED)).toEqual({ at: "2026-11-24T06:02:41+00:00", changed: 1, kind: "pull", from: "node3", result: "failed" });
    expect(last('{"at":"2026-11-24T06:02:41+00:00","chan')).toBe("unreadable");
    expect(last("cat: /var/lib/bgpmesh/last-run.json: Permission denied")).toBe("unreadable");
    expect(last("null")).toBe("unreadable");
  });

  it("gives systemd's word for the agent, or unknown when systemctl cannot tell", () => {
    const agent = (text: string) => parseStatus(answer({ agent: text, bird: "@@exit 0", lastRun: "@@absent" })).agent;
    expect(agent("failed\nloaded")).toBe("failed");
    expect(agent("activating\nloaded")).toBe("activating");
    expect(agent("sh: 1: systemctl: not found\nsh: 1: systemctl: not found")).toBe("unknown");
    expect(agent("System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down")).toBe("unknown");
  });

  it("refuses an answer cut short", () => {
    expect(() => parseStatus(NODE1.slice(0, NODE1.indexOf("@@status last-run")))).toThrow(/did not finish/);
  });
});

describe("the status command on a shell", () => {
  /** A PATH holding only stand-ins for systemctl and birdc (when given) and the tools the script uses. */
  async function fakeHost(tools: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "bgpmesh-status-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, "bin"));
    for (const t of ["timeout", "cat"]) await symlink((await run("sh", ["-c", `command -v ${t}`])).stdout.trim(), join(dir, "bin", t));
    for (const [name, body] of Object.entries(tools)) {
      await writeFile(join(dir, "bin", name), `#!/bin/sh\n${body}\n`);
      await chmod(join(dir, "bin", name), 0o755);
    }
    return dir;
  }
  const ask = async (dir: string) =>
    parseStatus((await run("/bin/sh", ["-c", statusScript(join(dir, "last-run.json"))], { env: { PATH: join(dir, "bin") } })).stdout);

  it("answers every part on a host with BIRD and a last run", async () => {
    const dir = await fakeHost({
      systemctl: `case "$1" in is-active) echo active;; show) echo loaded;; esac`,
      birdc: `[ "$*" = "-r show protocols all" ] || { echo "unexpected: birdc $*"; exit 2; }\ncat <<'OUT'\n${SHOW_PROTOCOLS_ALL}OUT`,
    });
    await writeFile(join(dir, "last-run.json"), `${LAST_RUN_FAILED}\n`);
    expect(await ask(dir)).toEqual({
      agent: "active",
      bgp: { established: 1, sessions: 2, filtered: 2 },
      lastRun: { at: "2026-11-24T06:02:41+00:00", changed: 1, kind: "pull", from: "node3", result: "failed" },
    });
  });

  it("answers on a host without birdc, agent or last run", async () => {
    const dir = await fakeHost({ systemctl: `case "$1" in is-active) echo inactive; exit 3;; show) echo not-found;; esac` });
    expect(await ask(dir)).toEqual({ agent: "not installed", bgp: { problem: "no birdc" }, lastRun: null });
  });
});
