// The host tells its facts first, in the same session, and its desired state is made from them:
// run here through the local transport (pull mode's), on this Debian 12 controller.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runHost, type HostRunOptions } from "../../../src/engine/host-run.js";
import type { HostFacts } from "../../../src/engine/facts.js";
import { rollingTurns } from "../../../src/engine/rolling.js";
import { releaseFromOs } from "../../../src/fields/releases.js";
import { localTransport } from "../../../src/transport/local.js";

const opts: HostRunOptions = {
  apply: false,
  lockTimeoutSec: 30,
  hasSecret: () => false,
  redact: (t) => t,
  progress: () => {},
  takeTurn: rollingTurns(),
  runKind: "push",
};

describe("host facts", () => {
  it("reach the planner before the probe: the desired state is made for the host's own release", async () => {
    const seen: HostFacts[] = [];
    const r = await runHost(
      "here",
      (facts) => {
        seen.push(facts);
        return { host: "here", roles: [], resources: [], handlers: [] };
      },
      async () => localTransport("here"),
      opts,
    );
    expect(r.status, r.error).toBe("ok");
    expect(seen).toHaveLength(1);
    expect(releaseFromOs(seen[0]!.os)).toBe("bookworm");
    expect(seen[0]!.systemd).toBeTypeOf("boolean");
  });

  it("a host the planner refuses fails with the reason, and its session ends", async () => {
    const r = await runHost(
      "here",
      (facts) => {
        // As a Debian 11 host would be refused.
        releaseFromOs({ ...facts.os, codename: "bullseye", version: "11" });
        throw new Error("not reached");
      },
      async () => localTransport("here"),
      opts,
    );
    expect(r.status).toBe("failed");
    expect(r.error).toBe("the host runs Debian 11 (bullseye); bgpmesh-provision supports Debian 12 (bookworm) and 13 (trixie)");
  });

  it("an apply tells each step as it starts, and reports each step's time and the probe's CPU", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgpmesh-steps-"));
    try {
      const origin = { where: "roles/t/role.yml:1" };
      const command = (name: string, run: string) => ({ kind: "command" as const, name, run, creates: `${dir}/${name}`, notify: [], origin });
      const started: string[] = [];
      const r = await runHost(
        "here",
        () => ({ host: "here", roles: ["t"], resources: [command("one", `sleep 0.3; touch ${dir}/one`), command("two", `touch ${dir}/two`)], handlers: [] }),
        async () => localTransport("here"),
        { ...opts, apply: true, stepStart: (host, step) => started.push(`${host}: ${step}`) },
      );
      expect(r.status, r.error).toBe("changed");
      expect(started).toEqual(["here: run command one", "here: run command two"]);
      expect(r.stepSeconds?.map((s) => s.step)).toEqual(["run command one", "run command two"]);
      expect(r.stepSeconds![0]!.seconds).toBeGreaterThanOrEqual(0.3);
      expect(r.stepSeconds![0]!.seconds).toBeLessThan(10);
      expect(r.probeCpuSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

