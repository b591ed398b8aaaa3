// The sysctl kind end to end on this machine's own kernel, inside a network namespace made for the
// test (net.* parameters are per namespace, so nothing of the machine's own changes): a role file
// declares it, probe → plan → apply sets it and writes its boot file, and a second run finds
// nothing to do.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyScripts, parseApplyOutput } from "../../../src/engine/apply-script.js";
import { parseProbe } from "../../../src/engine/observed.js";
import { hasChanges, planHost } from "../../../src/engine/plan.js";
import { FACTS_SCRIPT } from "../../../src/engine/facts.js";
import { probeScript } from "../../../src/engine/probe-script.js";
import type { DesiredHost } from "../../../src/model/resource.js";
import { desiredState } from "../../../src/roles/index.js";
import { run } from "../../../src/util/exec.js";
import { oneRole, projectFailure, setup } from "../roles/helpers.js";

const ns = `bgpmesh-sysctl-${process.pid}`;
let dir: string;
const inNs = (script: string) => run("ip", ["netns", "exec", ns, "sh", "-s"], { input: script, allowFailure: true });

async function desired(value: string): Promise<DesiredHost> {
  const { project, inv } = await setup(
    oneRole(`resources:\n  - sysctl: { name: net.ipv4.ip_forward, value: "${value}", file: ${dir}/sysctl.d/90-forward.conf }\n`),
  );
  return desiredState(project, inv, "a");
}

async function plan(d: DesiredHost) {
  const probe = await inNs(FACTS_SCRIPT + "\n" + probeScript(d, `${dir}/journal`));
  return planHost(d, parseProbe(probe.stdout), () => false);
}

const root = process.getuid?.() === 0;

describe.skipIf(!root)("sysctl resources on a real kernel (a network namespace of the test's own)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgpmesh-sysctl-"));
    await run("ip", ["netns", "add", ns]);
  });
  afterAll(async () => {
    await run("ip", ["netns", "del", ns], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("sets the parameter now and for the next boot, then finds nothing to do", async () => {
    expect((await inNs("cat /proc/sys/net/ipv4/ip_forward")).stdout.trim()).toBe("0");
    const d = await desired("1");
    const first = await plan(d);
    expect(first.actions.map((a) => `${a.change} ${a.target}${a.detail ? ` (${a.detail})` : ""}`)).toEqual([
      `create file ${dir}/sysctl.d/90-forward.conf (net.ipv4.ip_forward = 1 at boot)`,
      "set sysctl net.ipv4.ip_forward (0 → 1)",
    ]);
    const applied = await inNs(applyScripts(first, `${dir}/journal`).first);
    expect(parseApplyOutput(applied.stdout).done).toBe(true);
    expect((await inNs("cat /proc/sys/net/ipv4/ip_forward")).stdout.trim()).toBe("1");
    expect(readFileSync(`${dir}/sysctl.d/90-forward.conf`, "utf8")).toBe("# set by bgpmesh-provision\nnet.ipv4.ip_forward = 1\n");
    // `sysctl -p FILE` reads it back: the boot file is in sysctl.d's own format.
    expect((await inNs(`sysctl -p ${dir}/sysctl.d/90-forward.conf`)).stdout.trim()).toBe("net.ipv4.ip_forward = 1");
    expect(hasChanges(await plan(d))).toBe(false);
  });

  it("puts back a value changed behind its back, without rewriting the boot file", async () => {
    await inNs("echo 0 > /proc/sys/net/ipv4/ip_forward");
    const again = await plan(await desired("1"));
    expect(again.actions.map((a) => `${a.change} ${a.target}`)).toEqual(["set sysctl net.ipv4.ip_forward"]);
  });
});

describe("sysctl in a role file: mistakes name role.yml:line", () => {
  it("a name that is no kernel parameter", async () => {
    expect(await projectFailure(oneRole('resources:\n  - sysctl: { name: "../../etc/x", value: "1" }\n'))).toBe(
      'roles/t/role.yml:2:21: resources[0].sysctl.name: not a kernel parameter name like net.ipv4.ip_forward: "../../etc/x" (for host a)',
    );
  });

  it("a value missing, or a file path that is not absolute", async () => {
    expect(await projectFailure(oneRole("resources:\n  - sysctl: { name: vm.swappiness }\n"))).toBe("roles/t/role.yml:2:13: resources[0].sysctl: 'value' is required");
    expect(await projectFailure(oneRole("resources:\n  - sysctl: { name: vm.swappiness, value: 10, file: x.conf }\n"))).toBe(
      'roles/t/role.yml:2:53: resources[0].sysctl.file: expected an absolute path, got "x.conf"',
    );
  });

  it("two roles setting one parameter are one path managed twice", async () => {
    const files = {
      "site.yml": "- hosts: all\n  roles: [t, u]\n",
      "roles/t/role.yml": "resources:\n  - sysctl: { name: vm.swappiness, value: 10 }\n",
      "roles/u/role.yml": "resources:\n  - sysctl: { name: vm.swappiness, value: 60 }\n",
    };
    expect(await projectFailure(files)).toBe(
      "roles/u/role.yml:2:5: /etc/sysctl.d/90-bgpmesh-vm.swappiness.conf is managed twice on host a: here and at roles/t/role.yml:2",
    );
  });
});
