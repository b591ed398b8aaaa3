// The lab, end to end: real systemd-nspawn hosts, real OpenSSH with strict host key checking,
// real apt-get against the lab's repository, and a teardown that leaves nothing behind.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/util/exec.js";
import { alive, cmdline } from "../../src/util/procs.js";
import { cli, cliOk, labInfo, readInventory, ssh, sshOk, type LabInfo } from "../helpers/cli.js";

const NAME = "e2e-lab";
const OTHER = "e2e-lab-b";
let lab: LabInfo;

/**
 * Live processes of the lab on the controller: its launchers and systemd-nspawn (named by the
 * lab's folder), its apt repository server (named by the bridge address) and everything running
 * inside its containers (in the lab's cgroups, as the controller sees them).
 */
function labProcesses(info: LabInfo): number[] {
  const bridgeAddress = info.subnet.replace(/\.0\/24$/, ".1");
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      if (!alive(pid)) return false;
      const cmd = cmdline(pid);
      let cgroup = "";
      try {
        cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      } catch {
        /* gone */
      }
      return (
        cmd.includes(info.dir) ||
        cgroup.includes(`/bgpmesh-lab/${NAME}/`) ||
        (cmd.includes("repo-server.js") && cmd.includes(` ${bridgeAddress} `))
      );
    });
}

/** The containers' PID 1 (systemd) processes, as seen from the controller. */
function containerInits(info: LabInfo): number[] {
  return labProcesses(info).filter((pid) => /^\/(usr\/)?lib\/systemd\/systemd$/.test(cmdline(pid)));
}

beforeAll(async () => {
  await cli("lab", "down", "--name", NAME);
  await cli("lab", "down", "--name", OTHER);
  await cliOk("lab", "up", "--name", NAME, "--hosts", "3");
  lab = await labInfo(NAME);
});

afterAll(async () => {
  await cli("lab", "down", "--name", NAME);
  await cli("lab", "down", "--name", OTHER);
});

describe("lab up", () => {
  it("writes an inventory of the hosts, in the Ansible YAML shape", () => {
    const inv = readInventory(lab);
    expect(Object.keys(inv.all.children.mesh.hosts)).toEqual(["node1", "node2", "node3"]);
    expect(Object.keys(inv.all.children.etcd.hosts)).toEqual(["node1", "node2", "node3"]);
    for (const h of lab.hosts) expect(inv.all.children.mesh.hosts[h.name]?.ansible_host).toBe(h.address);
    expect(inv.all.vars.ansible_user).toBe("root");
    expect(existsSync(String(inv.all.vars.ansible_ssh_private_key_file))).toBe(true);
  });

  it("gives every host its own hostname, reached over SSH with strict host key checking", async () => {
    for (const h of lab.hosts) {
      const out = await sshOk(lab, h.name, "hostname");
      expect(out.trim()).toBe(h.name);
    }
    // The check is real: without the lab's known_hosts the same login is refused.
    const refused = await ssh(lab, "node1", "true", ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes"]);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/Host key verification failed/);
  });

  it("gives every host its own machine-id and SSH host key", async () => {
    const ids = await Promise.all(lab.hosts.map((h) => sshOk(lab, h.name, "cat /etc/machine-id")));
    expect(new Set(ids).size).toBe(3);
    const keys = readFileSync(lab.knownHostsFile, "utf8").split("\n").filter((l) => l.includes("ssh-ed25519"));
    expect(new Set(keys.map((l) => l.split(" ")[2])).size).toBe(3);
  });

  it("runs systemd as PID 1, booted to 'running'", async () => {
    for (const h of lab.hosts) {
      expect((await sshOk(lab, h.name, "ps -o comm= -p 1")).trim()).toBe("systemd");
      expect((await sshOk(lab, h.name, "systemctl is-system-running")).trim()).toBe("running");
    }
  });

  it("starts no systemd user manager for an SSH login", async () => {
    const h = lab.hosts[0]!.name;
    expect((await sshOk(lab, h, "systemctl is-active user@0.service || true")).trim()).toBe("inactive");
    expect(await sshOk(lab, h, "grep -c pam_systemd /etc/pam.d/common-session || true")).toBe("0\n");
  });

  it("installs packages with apt-get from the lab's local repository", async () => {
    const out = await sshOk(
      lab,
      "node2",
      "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tinc >/dev/null 2>&1; " +
        "dpkg-query -W -f '${Status} ${Version}\\n' tinc; apt-cache policy tinc | grep -o 'http://[^ ]*'",
    );
    expect(out).toMatch(/^install ok installed 1\.0\.36/m);
    expect(out).toContain(lab.hosts[0]!.address.replace(/\.\d+$/, ".1"));
  });

  it("lets hosts reach each other by address, and nothing outside the lab", async () => {
    for (const from of lab.hosts) {
      for (const to of lab.hosts) {
        if (from === to) continue;
        await sshOk(lab, from.name, `ping -c1 -W2 ${to.address} >/dev/null`);
      }
    }
    const out = await ssh(lab, "node1", "ip route get 192.0.2.1");
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unreachable/i);
  });

  it("is idempotent: a second up keeps the same hosts running", async () => {
    const bootIds = await Promise.all(lab.hosts.map((h) => sshOk(lab, h.name, "cat /proc/sys/kernel/random/boot_id")));
    const out = await cliOk("lab", "up", "--name", NAME, "--hosts", "3");
    expect(out).toContain("0 booted, 3 already running");
    const after = await Promise.all(lab.hosts.map((h) => sshOk(lab, h.name, "cat /proc/sys/kernel/random/boot_id")));
    expect(after).toEqual(bootIds);
  });

  it("shows each host's release; asking for another release is refused, naming lab rebuild, and changes nothing", async () => {
    const status = await cliOk("lab", "status", "--name", NAME);
    expect(status).toMatch(/^HOST\s+ADDRESS\s+RELEASE\s+STATE/m);
    for (const h of lab.hosts) expect(status).toMatch(new RegExp(`^${h.name}\\s+${h.address.replace(/\./g, "\\.")}\\s+bookworm\\s+running`, "m"));
    const bootIds = await Promise.all(lab.hosts.map((h) => sshOk(lab, h.name, "cat /proc/sys/kernel/random/boot_id")));
    const r = await cli("lab", "up", "--name", NAME, "--hosts", "3", "--release", "bookworm,trixie");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`lab '${NAME}': node2 runs bookworm and --release asks for trixie; \`lab rebuild node2 --name ${NAME} --release trixie\` rebuilds it`);
    expect(await Promise.all(lab.hosts.map((h) => sshOk(lab, h.name, "cat /proc/sys/kernel/random/boot_id")))).toEqual(bootIds);
    // Both releases' images and repositories are cached (scripts/test.sh builds them first): nothing to build.
    expect(await cliOk("lab", "cache", "--release", "bookworm,trixie")).toMatch(/images and package repositories of bookworm, trixie ready in \d+\.\ds/);
    const bad = await cli("lab", "up", "--name", NAME, "--release", "sid");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("'sid' is not a release this tool supports: bookworm, trixie");
  });

  it("grows and shrinks to the number of hosts asked for", async () => {
    expect(await cliOk("lab", "up", "--name", NAME, "--hosts", "4")).toContain("1 booted, 3 already running");
    expect((await labInfo(NAME)).hosts.map((h) => h.running)).toEqual([true, true, true, true]);
    expect(await cliOk("lab", "up", "--name", NAME, "--hosts", "3")).toContain("removing node4");
    const now = await labInfo(NAME);
    expect(now.hosts.map((h) => h.name)).toEqual(["node1", "node2", "node3"]);
    expect(Object.keys(readInventory(now).all.children.mesh.hosts)).toEqual(["node1", "node2", "node3"]);
    expect((await run("ip", ["netns", "list"])).stdout).not.toContain(`bgpmesh-${NAME}-node4`);
  });

  it("runs a second lab side by side on its own subnet, unreachable from the first", async () => {
    await cliOk("lab", "up", "--name", OTHER, "--hosts", "1");
    const other = await labInfo(OTHER);
    expect(other.subnet).not.toBe(lab.subnet);
    expect(other.bridge).not.toBe(lab.bridge);
    expect((await sshOk(other, "node1", "hostname")).trim()).toBe("node1");
    const cross = await ssh(lab, "node1", `ping -c1 -W1 ${other.hosts[0]!.address}`);
    expect(cross.code).not.toBe(0);
    await cliOk("lab", "down", "--name", OTHER);
  });

  it("recovers after a killed session: orphaned containers, stale namespaces, mounts and pid files", async () => {
    // A killed session takes the controller-side processes (launchers, systemd-nspawn, the apt
    // repository server) with it; the containers' own systemd lives on, orphaned.
    const controllerSide = labProcesses(lab).filter((pid) => /launcher\.sh|^systemd-nspawn|repo-server\.js/.test(cmdline(pid)));
    expect(controllerSide).toHaveLength(3 + 3 + 1);
    const orphans = containerInits(lab);
    expect(orphans).toHaveLength(3);
    for (const pid of controllerSide) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    expect(containerInits(lab)).toEqual(orphans);
    expect((await run("ip", ["netns", "list"])).stdout).toContain(`bgpmesh-${NAME}-node1`);

    const out = await cliOk("lab", "up", "--name", NAME, "--hosts", "3");
    expect(out).toContain("3 booted");
    const fresh = containerInits(lab);
    expect(fresh).toHaveLength(3);
    expect(fresh.filter((pid) => orphans.includes(pid))).toEqual([]);
    for (const h of lab.hosts) expect((await sshOk(lab, h.name, "systemctl is-system-running --wait")).trim()).toBe("running");
    // The hosts kept their disks: the package installed before the crash is still there.
    expect(await sshOk(lab, "node2", "dpkg-query -W -f '${Status}' tinc")).toBe("install ok installed");
  });
});

describe("lab as a normal user", () => {
  it("refuses clearly and creates nothing", async () => {
    const r = await run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "dist/cli.js", "lab", "up", "--name", "e2e-nobody"], {
      allowFailure: true,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the lab must run as root");
    expect(existsSync("/var/lib/bgpmesh/lab/e2e-nobody")).toBe(false);
  });
});

describe("lab down", () => {
  it("leaves no process, mount, namespace, bridge, veth or cgroup behind", async () => {
    await cliOk("lab", "down", "--name", NAME);
    expect(labProcesses(lab)).toEqual([]);
    const links = (await run("ip", ["-o", "link", "show"])).stdout;
    expect(links).not.toMatch(new RegExp(`\\b${lab.bridge}[:@h]`));
    expect((await run("ip", ["netns", "list"])).stdout).not.toContain(`bgpmesh-${NAME}-`);
    expect(readFileSync("/proc/self/mounts", "utf8")).not.toContain(lab.dir);
    expect(existsSync(lab.dir)).toBe(false);
    const cgroups = (await run("find", ["/sys/fs/cgroup", "-maxdepth", "6", "-type", "d", "-path", `*bgpmesh-lab/${NAME}*`])).stdout;
    expect(cgroups.trim()).toBe("");
    expect((await cli("lab", "status", "--name", NAME)).code).toBe(1);
  });
});
