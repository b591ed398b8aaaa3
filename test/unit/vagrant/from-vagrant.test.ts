// `inventory --from-vagrant` on recorded `vagrant ssh-config` output: the inventory it writes, read
// back by the tool's own loader, and its refusals.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectionOf, hostsOf, loadInventory, resolveHostVars } from "../../../src/inventory/index.js";
import { deriveMeshVars } from "../../../src/mesh/derive.js";
import { fromVagrant } from "../../../src/vagrant/from-vagrant.js";
import { LIBVIRT, pinKey, runInventory, tempDir, VIRTUALBOX } from "./helpers.js";

const UNDERLAY = ["--underlay", "node1=192.168.56.11", "node2=192.168.56.12", "node3=192.168.56.13"];

async function loadBack(file: string) {
  const inv = await loadInventory(file);
  const resolved = new Map([...inv.hosts.keys()].map((h) => [h, resolveHostVars(inv, h).vars]));
  return { inv, derived: deriveMeshVars(inv, resolved), conn: (h: string) => connectionOf(resolveHostVars(inv, h)) };
}

describe("inventory --from-vagrant", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("writes an inventory for VirtualBox's port forwards, with the underlay given", async () => {
    const dir = tempDir();
    const out = join(dir, "vagrant.yml");
    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir, "--ssh-config", VIRTUALBOX, ...UNDERLAY, "--out", out);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).toBe("");

    const { inv, derived, conn } = await loadBack(out);
    expect(hostsOf(inv, "mesh")).toEqual(["node1", "node2", "node3"]);
    expect(hostsOf(inv, "etcd")).toEqual(["node1", "node2", "node3"]);
    expect(conn("node2")).toEqual({
      host: "127.0.0.1",
      port: 2200,
      user: "vagrant",
      become: true,
      privateKeyFile: "/home/u/proj/vagrant/.vagrant/machines/node2/virtualbox/private_key",
      knownHostsFile: join(dir, "known_hosts"),
    });
    expect(derived.get("node2")).toMatchObject({ tinc_name: "node2" });
    expect(resolveHostVars(inv, "node1").vars.get("tinc_address")?.value).toBe("192.168.56.11");
    expect(derived.get("node1")!["etcd_initial_cluster"]).toBe(
      "node1=https://192.168.56.11:2380,node2=https://192.168.56.12:2380,node3=https://192.168.56.13:2380",
    );
  });

  it("writes libvirt's machines as they are: port 22 left out, no underlay needed, the first key", async () => {
    const dir = tempDir();
    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir, "--ssh-config", LIBVIRT);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).not.toMatch(/ansible_port|tinc_address/);
    writeFileSync(join(dir, "inv.yml"), r.stdout);
    const { derived, conn } = await loadBack(join(dir, "inv.yml"));
    expect(conn("node3")).toMatchObject({ host: "192.168.121.24", port: 22, privateKeyFile: "/home/u/my proj/vagrant/.vagrant/machines/node3/libvirt/private_key" });
    expect(derived.get("node3")).toMatchObject({ tinc_address: "192.168.121.24" });
    expect(derived.get("node1")!["etcd_initial_cluster"]).toBe(
      "node1=https://192.168.121.57:2380,node2=https://192.168.121.131:2380,node3=https://192.168.121.24:2380",
    );
  });

  it("puts one etcd member in the inventory for fewer than three machines", async () => {
    const dir = tempDir();
    const two = readFileSync(LIBVIRT, "utf8").split("Host node3")[0]!;
    const result = await fromVagrant({ vagrantDir: dir, sshConfig: "-", readStdin: async () => two });
    writeFileSync(join(dir, "inv.yml"), result.inventory);
    const { inv } = await loadBack(join(dir, "inv.yml"));
    expect(hostsOf(inv, "mesh")).toEqual(["node1", "node2"]);
    expect(hostsOf(inv, "etcd")).toEqual(["node1"]);
  });

  it("refuses port-forwarded machines without --underlay, saying what to pass, and writes nothing", async () => {
    const dir = tempDir();
    const out = join(dir, "vagrant.yml");
    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir, "--ssh-config", VIRTUALBOX, "--underlay", "node1=192.168.56.11", "--out", out);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      "node2 (127.0.0.1:2200), node3 (127.0.0.1:2201): reached through a port forward on this machine, which the other machines cannot use for tinc and etcd; " +
        "pass --underlay node2=ADDR --underlay node3=ADDR with the address the machines reach each other at (vagrant/Vagrantfile: node1..node3 are 192.168.56.11..13)\n",
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "known_hosts"))).toBe(false);
  });

  it("refuses --underlay for a machine Vagrant does not list, or a malformed one", async () => {
    const dir = tempDir();
    const base = ["--from-vagrant", "--vagrant-dir", dir, "--ssh-config", LIBVIRT];
    expect((await runInventory(...base, "--underlay", "node9=10.0.0.9")).stderr).toBe(
      "--underlay names node9, which vagrant ssh-config does not list (it lists node1, node2, node3)\n",
    );
    expect((await runInventory(...base, "--underlay", "node1")).stderr).toBe("--underlay 'node1': expected NAME=ADDR, e.g. node1=192.168.56.11\n");
    expect((await runInventory(...base, "--underlay", "node1=127.0.0.1")).stderr).toMatch(/loopback address cannot be reached/);
  });

  it("names the ssh-config file and line of a broken block, exits 1 and writes nothing", async () => {
    const dir = tempDir();
    const bad = join(dir, "ssh-config.txt");
    writeFileSync(bad, readFileSync(LIBVIRT, "utf8").replace("  HostName 192.168.121.131\n", ""));
    writeFileSync(join(dir, "known_hosts"), "keep me\n");
    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir, "--ssh-config", bad, "--out", join(dir, "o.yml"));
    expect(r).toEqual({ stdout: "", stderr: `${bad}:17: Host node2 has no HostName\n`, exitCode: 1 });
    expect(existsSync(join(dir, "o.yml"))).toBe(false);
    expect(readFileSync(join(dir, "known_hosts"), "utf8")).toBe("keep me\n");
  });

  it("runs `vagrant ssh-config` in the Vagrant folder when no --ssh-config is given", async () => {
    const dir = tempDir();
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const log = join(dir, "vagrant.log");
    writeFileSync(join(bin, "vagrant"), `#!/bin/sh\necho "$PWD $VAGRANT_CWD $*" > '${log}'\ncat '${resolve(LIBVIRT)}'\n`);
    chmodSync(join(bin, "vagrant"), 0o755);
    vi.stubEnv("PATH", `${bin}:/usr/bin:/bin`);
    vi.stubEnv("VAGRANT_CWD", "/somewhere/else");
    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir);
    expect(r.exitCode).toBeUndefined();
    expect(readFileSync(log, "utf8")).toBe(`${dir} ${dir} ssh-config\n`);
    expect(r.stdout).toContain(`from \`vagrant ssh-config\` in ${dir}.`);
    expect(r.stdout).toContain("ansible_host: 192.168.121.57");
  });

  it("says to pass --ssh-config when vagrant is not installed, and passes on vagrant's own complaint", async () => {
    const dir = tempDir();
    vi.stubEnv("PATH", join(dir, "nothing-here"));
    const missing = await runInventory("--from-vagrant", "--vagrant-dir", dir);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(
      "vagrant is not installed here (not on PATH): run `vagrant ssh-config > ssh-config.txt` where it is, then pass --ssh-config ssh-config.txt\n",
    );

    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "vagrant"), "#!/bin/sh\necho 'The provider for this Vagrant-managed machine is reporting that it' >&2\necho 'is not yet ready for SSH.' >&2\nexit 1\n");
    chmodSync(join(bin, "vagrant"), 0o755);
    vi.stubEnv("PATH", `${bin}:/usr/bin:/bin`);
    const failed = await runInventory("--from-vagrant", "--vagrant-dir", dir);
    expect(failed.stderr).toBe(
      `\`vagrant ssh-config\` in ${dir} failed: The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH.\n`,
    );
  });

  it("needs -i without --from-vagrant, and keeps the Vagrant options to --from-vagrant", async () => {
    expect(await runInventory("--list")).toEqual({
      stdout: "",
      stderr: "error: required option '-i, --inventory <path>' not specified (or --from-vagrant, to write an inventory for Vagrant's machines)\n",
      exitCode: 1,
    });
    expect((await runInventory("-i", "inventory/vagrant.yml", "--underlay", "node1=10.0.0.1")).stderr).toBe("error: --underlay goes with --from-vagrant\n");
    expect((await runInventory("--from-vagrant", "--vagrant-dir", "/nonexistent/dir", "--ssh-config", LIBVIRT)).stderr).toBe(
      "--vagrant-dir /nonexistent/dir: no such directory (the one with the Vagrantfile)\n",
    );
  });
});

describe("known_hosts for Vagrant's machines", () => {
  it("replaces the lines for the machines' addresses with pinned keys, keeps other lines, and the tool's checker accepts them", async () => {
    const dir = tempDir();
    const node1 = pinKey(dir, "node1");
    const node2 = pinKey(dir, "node2");
    const stale = pinKey(tempDir(), "old");
    const unrelated = pinKey(tempDir(), "other");
    const knownHosts = join(dir, "known_hosts");
    writeFileSync(
      knownHosts,
      [
        "# pinned by the Vagrantfile",
        `192.168.56.11 ${unrelated.line}`,
        `[127.0.0.1]:2222 ${stale.line}`, // node1's forward before `vagrant destroy`
        `[127.0.0.1]:2201,[node3]:2201 ${stale.line}`, // node3's, which has no pinned key now
        `@revoked [127.0.0.1]:2200 ${stale.line}`,
        "",
      ].join("\n"),
    );

    const r = await runInventory("--from-vagrant", "--vagrant-dir", dir, "--ssh-config", VIRTUALBOX, ...UNDERLAY, "--out", join(dir, "inv.yml"));
    expect(r.exitCode).toBeUndefined();
    expect(readFileSync(knownHosts, "utf8")).toBe(
      [
        "# pinned by the Vagrantfile",
        `192.168.56.11 ${unrelated.line}`,
        `@revoked [127.0.0.1]:2200 ${stale.line}`,
        `[127.0.0.1]:2222 ${node1.line}`,
        `[127.0.0.1]:2200 ${node2.line}`,
        "",
      ].join("\n"),
    );
    expect(r.stderr).toBe(
      `note: no pinned host key for node3 (${dir}/.hostkeys/node3_ed25519.pub): its first apply needs --accept-new-host-keys, ` +
        `which records the key it is shown in ${knownHosts} (trust on first use; checking stays on)\n` +
        `wrote ${dir}/inv.yml (3 hosts) and ${knownHosts}\n`,
    );
    expect(r.stderr).not.toMatch(/PRIVATE KEY/);

    // The connection the inventory describes, checked the way `apply` checks it.
    const { hostKeyCheck } = await import("../../../src/transport/host-key.js");
    const inv = await loadInventory(join(dir, "inv.yml"));
    const conn = connectionOf(resolveHostVars(inv, "node1"));
    const check = () => hostKeyCheck({ who: "node1", name: "node1", address: conn.host, port: conn.port, file: conn.knownHostsFile!, acceptNew: false });
    expect(check().algorithms).toEqual(["ssh-ed25519"]);
    expect(check().verify(node1.blob)).toBe(true);
    const wrong = check();
    expect(wrong.verify(stale.blob)).toBe(false);
    expect(wrong.refusal?.message).toMatch(/HOST KEY CHANGED/);
  });

  it("leaves an unchanged known_hosts alone", async () => {
    const dir = tempDir();
    pinKey(dir, "node1");
    const args = ["--from-vagrant", "--vagrant-dir", dir, "--ssh-config", LIBVIRT];
    await runInventory(...args);
    const first = readFileSync(join(dir, "known_hosts"), "utf8");
    expect(first).toMatch(/^192\.168\.121\.57 ssh-ed25519 \S+\n$/);
    await runInventory(...args);
    expect(readFileSync(join(dir, "known_hosts"), "utf8")).toBe(first);
  });
});
