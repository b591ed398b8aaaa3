// The provisioner end to end on three lab hosts over real SSH: plan, apply, idempotence, diffs,
// handlers, saved plans, sudo, host keys, unreachable hosts, secrets, an interrupted apply and
// bad inventories. The demo role (test/fixtures/e2e-project) uses every resource kind.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectFile } from "../../src/util/project.js";
import { cli, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import type { RunResult } from "../../src/util/exec.js";

const NAME = "e2e-provision";
const SECRET = "s3cr3t-Zq81-tok3n";
const SITE = projectFile("test/fixtures/e2e-project/site.yml");
let lab: LabInfo;
let work: string;
/** Everything the tool printed or wrote in this file's runs: no secret may appear in any of it. */
const seen: string[] = [];

interface InvOptions {
  greeting?: string;
  knownHosts?: string;
  extraHosts?: Record<string, Record<string, unknown>>;
  file?: string;
}

function writeInventory(o: InvOptions = {}): string {
  const file = o.file ?? join(work, "inventory.yml");
  const host = (n: number) => lab.hosts[n - 1]!.address;
  const extra = Object.entries(o.extraHosts ?? {})
    .map(([name, vars]) => `        ${name}: ${JSON.stringify(vars)}`)
    .join("\n");
  writeFileSync(
    file,
    `all:
  vars:
    ansible_ssh_private_key_file: ${lab.dir}/id_ed25519
    bgpmesh_known_hosts: ${o.knownHosts ?? lab.knownHostsFile}
    demo_token: !secret ${SECRET}
  children:
    demo:
      vars:
        demo_greeting: ${o.greeting ?? "hello"}
      hosts:
        node1: { ansible_host: ${host(1)} }
        node2: { ansible_host: ${host(2)}, ansible_user: root }
        node3: { ansible_host: ${host(3)}, ansible_user: debian, ansible_become: true }
${extra}
`,
  );
  return file;
}

async function tool(...args: string[]): Promise<RunResult> {
  const r = await cli(...args, "--site", SITE, "--no-color");
  seen.push(r.stdout, r.stderr);
  return r;
}

const hosts = ["node1", "node2", "node3"] as const;
const recapLine = (out: string, h: string) => out.split("\n").find((l) => l.startsWith(`${h} `) && l.includes("ok=")) ?? "";
const mainPid = (h: string) => sshOk(lab, h, "systemctl show -p MainPID --value demo").then((s) => s.trim());
const mtimes = (h: string) =>
  sshOk(lab, h, "stat -c '%n %Y.%y' /etc/demo/demo.conf /etc/demo/token /etc/systemd/system/demo.service").then((s) => s.trim());

labPerFile(NAME, 3, (l, w) => {
  lab = l;
  work = w;
});

describe("apply", () => {
  it("converges fresh hosts, one of them reached as a non-root user through sudo", async () => {
    const inv = writeInventory();
    const r = await tool("apply", "-i", inv, "--json", join(work, "first.json"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    for (const h of hosts) {
      expect(recapLine(r.stdout, h)).toMatch(/changed=\d+\s+failed=0\s+unreachable=0/);
      expect(recapLine(r.stdout, h)).not.toMatch(/changed=0/);
      expect(await sshOk(lab, h, "systemctl is-active demo cron")).toBe("active\nactive\n");
      expect(await sshOk(lab, h, "stat -c '%a %U' /etc/demo/demo.conf /etc/demo/token")).toBe("640 root\n600 root\n");
      expect(await sshOk(lab, h, "grep greeting /etc/demo/demo.conf")).toBe("greeting = hello\n");
      expect(await sshOk(lab, h, "test -f /var/lib/demo/seeded && echo seeded")).toBe("seeded\n");
    }
    // The secret reached the hosts (and nothing else: see the last test).
    expect(await sshOk(lab, "node3", "cat /etc/demo/token")).toBe(`token = ${SECRET}\n`);
    expect(r.stdout).toMatch(/3 of 3 hosts ok in [\d.]+s/);
    seen.push(readFileSync(join(work, "first.json"), "utf8"));
  });

  it("a second apply changes nothing and restarts nothing", async () => {
    const before = await Promise.all(hosts.map((h) => Promise.all([mainPid(h), mtimes(h)])));
    const r = await tool("apply", "-i", writeInventory());
    expect(r.code).toBe(0);
    for (const h of hosts) expect(recapLine(r.stdout, h)).toMatch(/changed=0\s+failed=0\s+unreachable=0/);
    const after = await Promise.all(hosts.map((h) => Promise.all([mainPid(h), mtimes(h)])));
    expect(after).toEqual(before);
  });
});

describe("plan", () => {
  it("after a template variable changes, shows exactly that diff and changes nothing", async () => {
    const inv = writeInventory({ greeting: "hi" });
    const r = await tool("plan", "-i", inv, "--detailed-exitcode");
    expect(r.code, r.stderr).toBe(2);
    for (const h of hosts) {
      const block = r.stdout.split(/\n(?=node\d)/).find((b) => b.startsWith(h))!;
      expect(block).toContain(`${h}: 2 to change`);
      const changes = block.split("\n").filter((l) => /^ {2}\S/.test(l));
      expect(changes).toEqual(["  ~ update file /etc/demo/demo.conf", "  ! handler restart demo  (notified)"]);
      expect(block).toContain("-greeting = hello\n      +greeting = hi");
      expect(await sshOk(lab, h, "grep greeting /etc/demo/demo.conf")).toBe("greeting = hello\n");
    }
    // Ansible's spelling of the same thing.
    const check = await tool("apply", "-i", inv, "--check", "--diff");
    expect(check.stdout).toContain("+greeting = hi");
  });

  it("then apply changes only that file and runs only its handler", async () => {
    const before = await Promise.all(hosts.map((h) => Promise.all([mainPid(h), mtimes(h)])));
    const report = join(work, "second.json");
    const r = await tool("apply", "-i", writeInventory({ greeting: "hi" }), "--json", report);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, "utf8"));
    seen.push(readFileSync(report, "utf8"));
    for (const [i, h] of hosts.entries()) {
      const hr = json.hosts.find((x: { host: string }) => x.host === h);
      expect(hr.applied).toEqual(["update file /etc/demo/demo.conf", "handler restart demo"]);
      expect(await sshOk(lab, h, "grep greeting /etc/demo/demo.conf")).toBe("greeting = hi\n");
      expect(await mainPid(h)).not.toBe(before[i]![0]);
      const [conf, ...others] = (await mtimes(h)).split("\n");
      const [confBefore, ...othersBefore] = before[i]![1].split("\n");
      expect(conf).not.toBe(confBefore);
      expect(others).toEqual(othersBefore);
    }
  });

  it("a saved plan runs exactly, and is refused on a host that changed since", async () => {
    const inv = writeInventory({ greeting: "hey" });
    const planFile = join(work, "hey.plan.json");
    const p = await tool("plan", "-i", inv, "--out", planFile);
    expect(p.code).toBe(0);
    seen.push(readFileSync(planFile, "utf8"));
    await sshOk(lab, "node1", "echo '# edited by hand' >> /etc/demo/demo.conf");
    const r = await tool("apply", planFile, "-i", inv);
    expect(r.code).toBe(1);
    expect(recapLine(r.stdout, "node1")).toMatch(/failed=1/);
    expect(r.stdout).toContain("stale plan: the host changed since the plan was made");
    expect(await sshOk(lab, "node1", "grep -c 'edited by hand\\|greeting = hi' /etc/demo/demo.conf")).toBe("2\n");
    for (const h of ["node2", "node3"]) {
      expect(recapLine(r.stdout, h)).toMatch(/changed=2\s+failed=0/);
      expect(await sshOk(lab, h, "grep greeting /etc/demo/demo.conf")).toBe("greeting = hey\n");
    }
    // A plan made from other inputs than those given to apply is refused too.
    const planned = join(work, "other.plan.json");
    await tool("plan", "-i", inv, "--out", planned, "-l", "node2");
    const moved = await tool("apply", planned, "-i", writeInventory({ greeting: "howdy" }));
    expect(moved.code).toBe(1);
    expect(moved.stdout).toContain("stale plan: the inventory, roles, templates or -e values changed");
    expect(await sshOk(lab, "node2", "grep greeting /etc/demo/demo.conf")).toBe("greeting = hey\n");
    // Back in line for the next tests.
    expect((await tool("apply", "-i", writeInventory({ greeting: "hey" }))).code).toBe(0);
  });
});

describe("reaching hosts", () => {
  it("refuses a host whose key changed and finishes the others when one is unreachable", async () => {
    const known = readFileSync(lab.knownHostsFile, "utf8").split("\n");
    const node1Key = known.find((l) => l.startsWith(`${lab.hosts[0]!.address},`) && l.includes("ed25519"))!.split(" ").slice(1).join(" ");
    const forged = join(work, "known_hosts.forged");
    writeFileSync(forged, known.map((l) => (l.startsWith(`${lab.hosts[1]!.address},`) ? `${l.split(" ")[0]} ${node1Key}` : l)).join("\n"));
    const unreachable = lab.hosts[0]!.address.replace(/\.\d+$/, ".99");
    const inv = writeInventory({ greeting: "hey", knownHosts: forged, extraHosts: { node9: { ansible_host: unreachable } } });
    const r = await tool("apply", "-i", inv, "--timeout", "3");
    expect(r.code).toBe(1);
    expect(recapLine(r.stdout, "node1")).toMatch(/failed=0\s+unreachable=0/);
    expect(recapLine(r.stdout, "node3")).toMatch(/failed=0\s+unreachable=0/);
    expect(recapLine(r.stdout, "node2")).toMatch(/unreachable=1/);
    expect(r.stdout).toMatch(/HOST KEY CHANGED/);
    expect(recapLine(r.stdout, "node9")).toMatch(/unreachable=1/);
    expect(r.stdout).toMatch(/2 of 4 hosts ok/);
  });

  it("refuses a host missing from known_hosts unless told to accept new keys", async () => {
    const partial = join(work, "known_hosts.partial");
    writeFileSync(partial, readFileSync(lab.knownHostsFile, "utf8").split("\n").filter((l) => !l.includes(",node3 ")).join("\n"));
    const inv = writeInventory({ greeting: "hey", knownHosts: partial });
    const refused = await tool("plan", "-i", inv, "-l", "node3");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("--accept-new-host-keys");
    const accepted = await tool("plan", "-i", inv, "-l", "node3", "--accept-new-host-keys");
    expect(accepted.code).toBe(0);
    expect(readFileSync(partial, "utf8")).toContain(lab.hosts[2]!.address);
  });
});

describe("the host lock", () => {
  it("makes a second run wait, then fail naming the holder", async () => {
    // Another run holds node2's lock (as a pull or another apply would) until the test lets it go:
    // a fixed hold could end before a slow apply even reaches node2.
    await sshOk(lab, "node2", "rm -f /run/bgpmesh-test-release");
    const holder = sshOk(
      lab,
      "node2",
      "flock /run/bgpmesh.lock sh -c 'echo \"pull on node2 since now\" > /run/bgpmesh.lock.owner; touch /run/bgpmesh-test-held; until [ -e /run/bgpmesh-test-release ]; do sleep 0.2; done; rm -f /run/bgpmesh-test-held'",
    );
    await sshOk(lab, "node2", "for i in $(seq 100); do [ -e /run/bgpmesh-test-held ] && exit 0; sleep 0.1; done; exit 1");
    const r = await tool("apply", "-i", writeInventory({ greeting: "hey" }), "--lock-timeout", "1");
    await sshOk(lab, "node2", "touch /run/bgpmesh-test-release");
    expect(r.code).toBe(1);
    expect(recapLine(r.stdout, "node2")).toMatch(/failed=1/);
    expect(r.stdout).toContain("another apply or pull holds the host lock (/run/bgpmesh.lock): pull on node2 since now; waited 1s");
    expect(recapLine(r.stdout, "node1")).toMatch(/failed=0/);
    await holder;
    // With a long enough wait the second run simply waits its turn.
    const again = sshOk(lab, "node2", "flock /run/bgpmesh.lock sleep 2");
    await new Promise((r) => setTimeout(r, 300));
    const waited = await tool("apply", "-i", writeInventory({ greeting: "hey" }), "-l", "node2", "--lock-timeout", "30");
    expect(waited.code).toBe(0);
    await again;
  });
});

describe("an interrupted apply", () => {
  it("converges on the next run, with no half-written file and its handler run", async () => {
    const pidBefore = await mainPid("node1");
    const inv = writeInventory({ greeting: "bye" });
    const child = spawn(process.execPath, [projectFile("dist/cli.js"), "apply", "-i", inv, "-l", "node1", "-e", "demo_sleep=5", "--site", SITE, "--no-color"]);
    let stderr = "";
    child.stderr.on("data", (b) => (stderr += b));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (stderr.includes("applying")) {
          clearInterval(t);
          setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
          }, 1500);
        }
      }, 50);
      setTimeout(() => reject(new Error(`apply never started applying: ${stderr}`)), 30_000);
    });
    seen.push(stderr);
    const r = await tool("apply", "-i", inv, "-l", "node1", "--json", join(work, "rerun.json"));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await sshOk(lab, "node1", "grep greeting /etc/demo/demo.conf")).toBe("greeting = bye\n");
    expect(await sshOk(lab, "node1", "ls -a /etc/demo /etc/systemd/system | grep -c bgpmesh- || true")).toBe("0\n");
    expect(await mainPid("node1")).not.toBe(pidBefore);
    const again = await tool("apply", "-i", inv, "-l", "node1");
    expect(recapLine(again.stdout, "node1")).toMatch(/changed=0/);
  });
});

describe("bad inventories", () => {
  // ADDR is node1's real address: if any of these reached the host, the lock owner file would move.
  const h1 = "all:\n  hosts:\n    node1: { ansible_host: ADDR }\n";
  const cases: [string, Record<string, string>, string | RegExp][] = [
    ["YAML syntax error", { "inventory.yml": "all:\n  hosts:\n    node1: {ansible_host: ADDR\n" }, /inventory\.yml:\d+:\d+/],
    ["unknown key in a group", { "inventory.yml": `${h1}  hots:\n    node2:\n` }, "inventory.yml:4:3"],
    ["wrong type", { "inventory.yml": "all:\n  hosts:\n    node1:\n      ansible_port: abc\n      ansible_host: ADDR\n" }, "inventory.yml:4:21"],
    ["duplicate host", { "inventory.yml": `${h1}    node1:\n` }, "inventory.yml:4:5"],
    ["unsupported connection variable", { "inventory.yml": "all:\n  hosts:\n    node1:\n      ansible_ssh_pass: x\n      ansible_host: ADDR\n" }, "inventory.yml:4:7"],
    ["unknown group in group_vars", { "inventory.yml": h1, "group_vars/etcd.yml": "a: 1\n" }, "group_vars/etcd.yml"],
    ["unknown host in host_vars", { "inventory.yml": h1, "host_vars/node7.yml": "a: 1\n" }, "host_vars/node7.yml"],
    ["syntax error in group_vars", { "inventory.yml": h1, "group_vars/all.yml": "a: [1,\n" }, /group_vars\/all\.yml:\d+/],
    ["missing !env secret", { "inventory.yml": `all:\n  vars:\n    t: !env BGPMESH_E2E_UNSET_VAR\n  hosts:\n    node1: { ansible_host: ADDR }\n` }, "inventory.yml:3:8"],
    ["bad variable name", { "inventory.yml": `all:\n  vars:\n    bad-name: 1\n  hosts:\n    node1: { ansible_host: ADDR }\n` }, "inventory.yml:3:5"],
    ["wrong type for become", { "inventory.yml": "all:\n  hosts:\n    node1:\n      ansible_become: maybe\n      ansible_host: ADDR\n" }, "inventory.yml:4:23"],
    [
      "variable a template needs but no level defines",
      { "inventory.yml": "all:\n  children:\n    demo:\n      hosts:\n        node1: { ansible_host: ADDR }\n" },
      /roles\/demo\/role\.yml:\d+.*demo_token|demo_token.*roles\/demo\/role\.yml:\d+/,
    ],
  ];

  it.each(cases)("%s: one clear file:line error, and no host touched", async (_name, files, where) => {
    const dir = mkdtempSync(join(work, "bad-"));
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), text.replace("ADDR", lab.hosts[0]!.address));
    }
    const before = await sshOk(lab, "node1", "stat -c %Y.%Z /run/bgpmesh.lock.owner");
    const r = await tool("apply", "-i", join(dir, "inventory.yml"));
    expect(r.code).toBe(1);
    if (typeof where === "string") expect(r.stderr).toContain(where);
    else expect(r.stderr).toMatch(where);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(await sshOk(lab, "node1", "stat -c %Y.%Z /run/bgpmesh.lock.owner")).toBe(before);
  });

  it("a missing inventory file and an unknown --limit name are errors too", async () => {
    const missing = await tool("plan", "-i", join(work, "nope.yml"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.yml");
    const limit = await tool("plan", "-i", writeInventory(), "-l", "node42");
    expect(limit.code).toBe(1);
    expect(limit.stderr).toContain("--limit names 'node42'");
  });
});

describe("secrets", () => {
  it("never appear in output, plan files or JSON reports", () => {
    expect(seen.join("\n").length).toBeGreaterThan(1000);
    for (const text of seen) expect(text).not.toContain(SECRET);
    expect(seen.join("\n")).toContain("(content holds secret values: not shown)");
    for (const f of ["first.json", "second.json", "rerun.json", "hey.plan.json"]) {
      expect(existsSync(join(work, f))).toBe(true);
      expect(readFileSync(join(work, f), "utf8")).not.toContain(SECRET);
    }
  });
});
