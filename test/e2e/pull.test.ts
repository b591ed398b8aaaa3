// Pull mode on a real lab host: a push installs the pull role, the configuration repository is
// served to the lab by git daemon on the lab's bridge, and the cron command (run by hand) applies
// new commits through the node's own bundled CLI on Debian's nodejs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/util/exec.js";
import { cli, cliOk, ssh, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-pull";
let lab: LabInfo;
let repo: string;
let daemon: ChildProcess | undefined;

const git = (...args: string[]) => run("git", ["-C", repo, "-c", "user.name=ops", "-c", "user.email=ops@example.invalid", ...args]);
async function commit(file: string, text: string, message: string): Promise<void> {
  writeFileSync(join(repo, file), text);
  await git("add", "-A");
  await git("commit", "-q", "-m", message);
}

function inventoryText(extra = ""): string {
  const h = lab.hosts[0]!;
  return meshInventory(lab, {
    mesh: [h],
    groups: `    pull:
      hosts:
        ${h.name}:
      vars:
        pull_repo_url: git://${lab.bridgeAddress}:${9418 + lab.index}/cfg
        pull_sleep: 0
        # Never on its own during the test (February 31st): every run here is started by hand.
        pull_cron_schedule: "0 0 31 2 *"
${extra}`,
  });
}

// The repository's own site.yml: the shipped plays, plus a role of its own whose one command is
// slow and leaves a line per run, to see a push wait for a pull and nothing run twice. A run with
// a mark other than 0 holds until the test opens its gate (/var/tmp/slow-gate-<mark>, at most
// 120 s): a fixed sleep let a loaded machine's push arrive after the pull had finished.
const SITE = `- hosts: etcd
  roles: [pki, etcd]
- hosts: mesh
  roles: [pki, etcd_client, tinc, bird, agent]
- hosts: pull
  roles: [pull, slow]
`;
const SLOW_ROLE = `defaults:
  slow_mark: "0"
resources:
  - command:
      name: slow step
      run: "{% if slow_mark == '0' %}sleep 5{% else %}i=0; while [ ! -e /var/tmp/slow-gate-{{ slow_mark }} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done{% endif %} && echo {{ slow_mark }} >> /var/tmp/slow.log && touch /var/tmp/slow-{{ slow_mark }}"
      creates: "/var/tmp/slow-{{ slow_mark }}"
`;

/** The command cron runs, read from the cron file the role wrote. */
async function cronCommand(): Promise<string> {
  const line = (await sshOk(lab, "node1", "cat /etc/cron.d/bgpmesh-pull")).split("\n").find((l) => /^[*0-9]/.test(l))!;
  return line.split(/\s+/).slice(6).join(" ");
}

/** Runs the cron command by hand; returns its exit code and what the run logged in the journal. */
async function cronRun(): Promise<{ code: number; log: string }> {
  const cursor = await journalCursor();
  const r = await ssh(lab, "node1", `${await cronCommand()}; echo "exit=$?"`);
  const code = Number(/exit=(\d+)/.exec(r.stdout)?.[1] ?? -1);
  return { code, log: await journalSince(cursor) };
}

const journalCursor = async () => /cursor: (.*)/.exec(await sshOk(lab, "node1", "journalctl --show-cursor -n 0 -q"))?.[1]?.trim() ?? "";
const journalSince = (cursor: string) => sshOk(lab, "node1", `journalctl --no-pager -o cat -u bgpmesh-pull ${cursor ? `--after-cursor='${cursor}'` : ""}`);

const state = async () => JSON.parse(await sshOk(lab, "node1", "cat /var/lib/bgpmesh/pull-state.json"));
const push = (...extra: string[]) => cli("apply", "-i", join(repo, "inventory.yml"), "--site", join(repo, "site.yml"), "--no-color", ...extra);

labPerFile(NAME, 1, (l, work) => {
  lab = l;
  const root = join(work, "git");
  repo = join(root, "cfg");
  mkdirSync(join(repo, "roles", "slow"), { recursive: true });
  daemon = spawn("git", ["daemon", `--base-path=${root}`, "--export-all", "--reuseaddr", `--listen=${lab.bridgeAddress}`, `--port=${9418 + lab.index}`], { stdio: "ignore" });
});
afterAll(() => {
  daemon?.kill();
});

describe("pull mode", () => {
  it("a push installs the pull role; the cron command applies a new commit with its diff in the journal, then skips an unchanged one", async () => {
    await git("init", "-q", "-b", "main");
    writeFileSync(join(repo, "site.yml"), SITE);
    writeFileSync(join(repo, "roles", "slow", "role.yml"), SLOW_ROLE);
    await commit("inventory.yml", inventoryText(), "mesh of one, pulling");
    const pushed = await push();
    expect(pushed.code, pushed.stderr + pushed.stdout).toBe(0);
    expect(await cronCommand()).toBe("systemctl start bgpmesh-pull.service");
    expect(await sshOk(lab, "node1", "bgpmesh-provision --help")).toContain("pull [options]");

    // The push already built the host from this commit: the first pull finds nothing to change.
    const first = await cronRun();
    expect(first.code, first.log).toBe(0);
    expect(first.log).toMatch(/node1: ok, no changes/);
    expect((await state()).last).toMatchObject({ result: "unchanged", changed: 0, branch: "main" });

    await commit("inventory.yml", inventoryText("        bgp_announce: [192.0.2.0/26]\n"), "announce 192.0.2.0/26");
    const second = await cronRun();
    expect(second.code, second.log).toBe(0);
    expect(second.log).toContain("--- /etc/bird/bird.conf");
    expect(second.log).toContain("+  route 192.0.2.0/26 blackhole;");
    expect(second.log).toContain('+  "prefixes": ["192.0.2.0/26"],');
    expect(second.log).toMatch(/handler reconfigure bird/);
    expect(second.log).toMatch(/pull: applied [0-9a-f]{12}: \d+ change/);
    expect(await sshOk(lab, "node1", "birdc show route 192.0.2.0/26")).toContain("blackhole");
    const head = (await git("rev-parse", "HEAD")).stdout.trim();
    expect((await state()).lastGood).toMatchObject({ commit: head, result: "applied" });

    // No new commit: --only-if-changed (the role's default) stops before any plan.
    const third = await cronRun();
    expect(third.code, third.log).toBe(0);
    expect(third.log).toContain("nothing to do: this commit is already applied (--only-if-changed)");
    expect(third.log).not.toMatch(/RECAP|PLAN|node1: /);
    expect((await state()).last).toMatchObject({ commit: head, result: "skipped" });

    // Without it, the same commit is planned again and nothing changes.
    const again = await ssh(lab, "node1", `bgpmesh-provision pull --repo git://${lab.bridgeAddress}:${9418 + lab.index}/cfg --no-color`);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/node1\s+ok=\d+\s+changed=0/);
  });

  it("--check reports drift with the diff and exit 2, and changes nothing", async () => {
    await commit("inventory.yml", inventoryText("        bgp_announce: [192.0.2.0/26, 198.51.100.0/24]\n"), "announce another prefix");
    const r = await ssh(lab, "node1", `bgpmesh-provision pull --repo git://${lab.bridgeAddress}:${9418 + lab.index}/cfg --check --no-color`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain("+  route 198.51.100.0/24 blackhole;");
    expect(r.stderr).toContain("drift: the host differs from this commit");
    expect(await sshOk(lab, "node1", "cat /etc/bird/bird.conf")).not.toContain("198.51.100.0/24");
    const applied = await cronRun();
    expect(applied.code, applied.log).toBe(0);
    expect(await sshOk(lab, "node1", "cat /etc/bird/bird.conf")).toContain("198.51.100.0/24");
  });

  it("a push started while a pull holds the host lock waits for it, or fails clearly; nothing is applied twice", async () => {
    await commit("inventory.yml", inventoryText("        bgp_announce: [192.0.2.0/26, 198.51.100.0/24]\n        slow_mark: '1'\n"), "slow step 1");
    const cursor = await journalCursor();
    await sshOk(lab, "node1", "systemctl start --no-block bgpmesh-pull.service");
    // The pull holds the lock from its probe to its end; the slow step holds it until the gate opens.
    for (let i = 0; i < 100; i++) {
      if (/node1: applying/.test(await journalSince(cursor))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const impatient = await push("--lock-timeout", "1");
    expect(impatient.code).toBe(1);
    expect(impatient.stdout + impatient.stderr).toMatch(/another apply or pull holds the host lock \(\/run\/bgpmesh\.lock\): pull from node1 \(pid \d+\) since/);
    await sshOk(lab, "node1", "touch /var/tmp/slow-gate-1");
    const report = join(repo, "..", "push.json");
    const patient = await push("--json", report);
    expect(patient.code, patient.stderr).toBe(0);
    expect(JSON.parse(readFileSync(report, "utf8")).hosts[0].applied, await journalSince(cursor)).toEqual([]);
    expect(patient.stdout).toMatch(/node1\s+ok=\d+\s+changed=0/);
    // One line per run of the slow step: mark 0 by the first push, mark 1 by the pull only.
    expect(await sshOk(lab, "node1", "cat /var/tmp/slow.log")).toBe("0\n1\n");
    expect((await state()).last).toMatchObject({ result: "applied" });
  });

  it("a broken commit makes the pull fail with the inventory's file:line and leaves the host as it was", async () => {
    const managed = "stat -c '%n %Y %s' /etc/bird/bird.conf /etc/bgpmesh/agent.json /etc/tinc/*/tinc.conf /etc/cron.d/bgpmesh-pull /etc/bgpmesh/pull.env";
    const before = await sshOk(lab, "node1", managed);
    const good = (await state()).lastGood.commit;
    await commit("inventory.yml", inventoryText("        bgp_announce: [192.0.2.0/26\n"), "a typo");
    const broken = await cronRun();
    expect(broken.code).not.toBe(0);
    expect(broken.log).toMatch(/error: \/var\/lib\/bgpmesh\/pull\/checkout\/inventory\.yml:\d+:\d+: /);
    expect(broken.log).toContain("nothing was changed");
    expect(await sshOk(lab, "node1", managed)).toBe(before);
    const s = await state();
    expect(s.last).toMatchObject({ result: "failed" });
    expect(s.last.error).toMatch(/inventory\.yml:\d+:\d+/);
    expect(s.lastGood.commit).toBe(good);

    // Fixing the commit brings pulls back; the host was never off its last good state.
    await commit("inventory.yml", inventoryText("        bgp_announce: [192.0.2.0/26, 198.51.100.0/24]\n        slow_mark: '1'\n"), "fix the typo");
    const fixed = await cronRun();
    expect(fixed.code, fixed.log).toBe(0);
    expect(fixed.log).toMatch(/node1: ok, no changes/);
  });
});

