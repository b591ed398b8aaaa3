// The policy-rc.d a first install runs under: the units the host's roles start themselves are not
// started by their packages (invoke-rc.d and deb-systemd-invoke ask the policy, and skip the start
// on exit 101); the rest start as Debian does. The script the plan ships is run here for real, with
// the policy file in a temp folder instead of /usr/sbin.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planHost } from "../../../src/engine/plan.js";
import type { DesiredHost } from "../../../src/model/resource.js";
import { holdStarts } from "../../../src/resources/package.js";
import { run } from "../../../src/util/exec.js";

const origin = { where: "roles/t/role.yml:1" };

/** Runs the hold in a step's errexit subshell, as the apply script does, and asks the policy each question as maintainer scripts would. */
async function ask(policy: string, questions: string[][]): Promise<{ during: number[]; after: boolean }> {
  const asks = questions.map((q) => `s=0; ${policy} ${q.join(" ")} >/dev/null 2>&1 || s=$?; echo $s`).join("\n");
  const r = await run("bash", ["-c", `( set -e\n${holdStarts(["etcd.service", "bird.service"], policy)}\n${asks}\n)`]);
  return { during: r.stdout.trim().split("\n").map(Number), after: existsSync(policy) };
}

describe("the policy-rc.d of an install", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "bgpmesh-policy-"));

  it("refuses to start the held units, by init script or unit name, with or without --quiet; lets them stop; lets others start", async () => {
    const policy = join(dir(), "policy-rc.d");
    const r = await ask(policy, [
      ["etcd", "start"],
      ["etcd.service", "start"],
      ["--quiet", "bird", "restart", "2"],
      ["etcd.service", "stop"],
      ["nginx.service", "start"],
      ["--quiet", "nginx", "start"],
    ]);
    expect(r.during).toEqual([101, 101, 101, 0, 0, 0]);
    // gone when the install's step ends
    expect(r.after).toBe(false);
  });

  it("leaves a policy the host already has in force, and in place", async () => {
    const policy = join(dir(), "policy-rc.d");
    writeFileSync(policy, "#!/bin/sh\nexit 0\n");
    chmodSync(policy, 0o755);
    const r = await ask(policy, [["etcd.service", "start"]]);
    expect(r.during).toEqual([0]);
    expect(readFileSync(policy, "utf8")).toBe("#!/bin/sh\nexit 0\n");
  });

  it("denies nothing once the apply that wrote it is gone, and is replaced by the next install", async () => {
    const policy = join(dir(), "policy-rc.d");
    // Left behind by an apply killed mid-install: its shell is gone.
    const left = await run("bash", ["-c", `${holdStarts(["etcd.service"], policy)}\ntrap - EXIT`]);
    expect(left.code).toBe(0);
    expect((await run(policy, ["etcd.service", "start"], { allowFailure: true })).code).toBe(0);
    const r = await ask(policy, [["etcd.service", "start"]]);
    expect(r.during).toEqual([101]);
    expect(r.after).toBe(false);
  });

  it("is part of a plan's install only when the host starts units itself", () => {
    const desired = (started: boolean): DesiredHost => ({
      host: "h",
      roles: ["t"],
      resources: [
        { kind: "package", names: ["etcd-server"], origin },
        { kind: "service", name: "etcd", enabled: true, ...(started && { state: "started" as const }), notify: [], origin },
      ],
      handlers: [],
    });
    const observed = { hostname: "h", systemd: true, pendingHandlers: [], serialHandlers: {}, lines: { 1: [["LoadState=not-found"], ["ActiveState=inactive"], ["UnitFileState="]] } };
    const install = (d: DesiredHost) => planHost(d, observed, () => false).actions.find((a) => a.change === "install")!.script;
    expect(install(desired(true))).toContain("case $1 in etcd|etcd.service)");
    expect(install(desired(false))).not.toContain("policy-rc.d");
  });
});
