// vagrant/Vagrantfile without Vagrant: Ruby checks its syntax, then runs it under a stub of Vagrant's
// DSL (test/fixtures/vagrant/vagrant-dsl-stub.rb) that records what it configures. With the
// inventory beside it, as in the repository, the tool's own loader and host key checker must
// accept the VMs' pinned keys at the inventory's addresses.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionOf, hostsOf, loadInventory, resolveHostVars } from "../../../src/inventory/index.js";
import { hostKeyCheck } from "../../../src/transport/host-key.js";
import { FIXTURES, tempDir } from "./helpers.js";

const hasRuby = spawnSync("ruby", ["--version"]).status === 0;
const STUB = resolve(FIXTURES, "vagrant-dsl-stub.rb");
const ADDRESSES = { node1: "192.168.56.11", node2: "192.168.56.12", node3: "192.168.56.13" };

interface Call {
  args: unknown[];
  opts: Record<string, unknown>;
  block: Record<string, any> | null;
}

/** The repository's vagrant/ and inventory/vagrant.yml, copied side by side into a temp dir. */
function checkout(): { root: string; vagrant: string } {
  const root = tempDir("bgpmesh-vagrantfile-");
  const vagrant = join(root, "vagrant");
  mkdirSync(vagrant);
  mkdirSync(join(root, "inventory"));
  copyFileSync("vagrant/Vagrantfile", join(vagrant, "Vagrantfile"));
  copyFileSync("inventory/vagrant.yml", join(root, "inventory", "vagrant.yml"));
  return { root, vagrant };
}

/** Loads the Vagrantfile as Vagrant would, from another directory, and returns what it configured. */
function evaluate(vagrantfile: string, cwd: string, env: Record<string, string> = {}): Record<string, any> {
  const clean = { ...process.env, BGPMESH_VAGRANT_BOX: "", BGPMESH_VAGRANT_LIBVIRT_DRIVER: "", STUB_RUN_LATER: "" };
  const r = spawnSync("ruby", ["-w", STUB, vagrantfile], { cwd, encoding: "utf8", env: { ...clean, ...env } });
  expect(r.stderr).toBe(""); // no Ruby warnings either
  expect(r.status).toBe(0);
  const configs = JSON.parse(r.stdout) as Record<string, any>[];
  expect(configs).toHaveLength(1);
  return configs[0]!;
}

const title = `vagrant/Vagrantfile${hasRuby ? "" : " (skipped: ruby is not installed; apt-get install ruby to run these)"}`;

describe.skipIf(!hasRuby)(title, () => {
  it("is valid Ruby", () => {
    expect(execFileSync("ruby", ["-c", "vagrant/Vagrantfile"], { encoding: "utf8" })).toBe("Syntax OK\n");
  });

  it("defines three Debian 12 VMs on the inventory's addresses, with memory for etcd", () => {
    const { root, vagrant } = checkout();
    const config = evaluate(join(vagrant, "Vagrantfile"), root);
    expect(config.vm.box).toBe("debian/bookworm64");
    expect(config.vm["synced_folder()"]).toEqual([{ args: [".", "/vagrant"], opts: { disabled: true }, block: null }]);

    const defines = config.vm["define()"] as Call[];
    expect(defines.map((d) => d.args[0])).toEqual(["node1", "node2", "node3"]);
    for (const d of defines) {
      const name = d.args[0] as keyof typeof ADDRESSES;
      const vm = d.block!.vm;
      expect(vm.hostname).toBe(name);
      expect(vm["network()"]).toEqual([{ args: ["private_network"], opts: { ip: ADDRESSES[name] }, block: null }]);
      const providers = vm["provider()"] as Call[];
      expect(providers.map((p) => p.args[0])).toEqual(["virtualbox", "libvirt"]);
      for (const p of providers) {
        expect(p.block!.memory).toBeGreaterThanOrEqual(1024);
        expect(p.block!.cpus).toBeGreaterThanOrEqual(2);
      }

      // The pinned key pair goes up through a private folder and becomes sshd's only host key.
      const steps = (vm["provision()"] as Call[]).map((p) => [p.args[0], p.opts]);
      const key = join(vagrant, ".hostkeys", `${name}_ed25519`);
      expect(steps.slice(0, 3)).toEqual([
        ["shell", { inline: "rm -rf /tmp/bgpmesh-hostkey && mkdir -m 700 /tmp/bgpmesh-hostkey", privileged: false }],
        ["file", { source: key, destination: "/tmp/bgpmesh-hostkey/key" }],
        ["file", { source: `${key}.pub`, destination: "/tmp/bgpmesh-hostkey/key.pub" }],
      ]);
      const script = (steps[3]![1] as { inline: string }).inline;
      expect(steps[3]![0]).toBe("shell");
      expect(script).toContain("install -o root -g root -m 600 /tmp/bgpmesh-hostkey/key /etc/ssh/ssh_host_ed25519_key\n");
      expect(script).toContain("echo 'HostKey /etc/ssh/ssh_host_ed25519_key' > /etc/ssh/sshd_config.d/bgpmesh-hostkey.conf\n");
      expect(script.indexOf("sshd -t")).toBeLessThan(script.indexOf("systemctl restart ssh"));
    }
  });

  it("takes another box and libvirt's domain type from the environment: the local box, software emulation", () => {
    const { root, vagrant } = checkout();
    const libvirt = (config: Record<string, any>) => ((config.vm["define()"] as Call[])[0]!.block!.vm["provider()"] as Call[]).find((p) => p.args[0] === "libvirt")!.block!;
    const local = evaluate(join(vagrant, "Vagrantfile"), root, { BGPMESH_VAGRANT_BOX: "bgpmesh/bookworm64", BGPMESH_VAGRANT_LIBVIRT_DRIVER: "qemu" });
    expect(local.vm.box).toBe("bgpmesh/bookworm64");
    expect(libvirt(local)).toMatchObject({ driver: "qemu", cpu_mode: "custom", cpu_model: "qemu64" });
    const kvm = evaluate(join(vagrant, "Vagrantfile"), root, { BGPMESH_VAGRANT_LIBVIRT_DRIVER: "kvm" });
    expect(kvm.vm.box).toBe("debian/bookworm64");
    expect(libvirt(kvm).driver).toBe("kvm");
    expect(libvirt(kvm).cpu_mode).toBeUndefined();
  });

  it("links each VM's login key where the inventory looks, whichever the provider, after `vagrant up`", () => {
    const { root, vagrant } = checkout();
    for (const name of Object.keys(ADDRESSES)) mkdirSync(join(vagrant, ".vagrant", "machines", name, "libvirt"), { recursive: true });
    const config = evaluate(join(vagrant, "Vagrantfile"), root, { STUB_RUN_LATER: "libvirt" });
    const trigger = ((config.vm["define()"] as Call[])[0]!.block!.trigger["after()"] as Call[])[0]!;
    expect(trigger.args).toEqual([["up", "reload", "provision"]]);
    for (const name of Object.keys(ADDRESSES)) {
      expect(readlinkSync(join(vagrant, ".vagrant", "machines", name, "private_key"))).toBe("libvirt/private_key");
    }
  });

  it("pins one ed25519 key per VM that the inventory's connections accept, and keeps it on the next load", async () => {
    const { root, vagrant } = checkout();
    evaluate(join(vagrant, "Vagrantfile"), tempDir());
    const pub = (name: string) => readFileSync(join(vagrant, ".hostkeys", `${name}_ed25519.pub`), "utf8").trim().split(/\s+/);
    const knownHosts = join(vagrant, "known_hosts");
    expect(readFileSync(knownHosts, "utf8")).toBe(
      Object.entries(ADDRESSES)
        .map(([name, ip]) => `${ip} ${pub(name).slice(0, 2).join(" ")}\n`)
        .join(""),
    );
    expect(statSync(join(vagrant, ".hostkeys", "node1_ed25519")).mode & 0o777).toBe(0o600);

    const inv = await loadInventory(join(root, "inventory", "vagrant.yml"));
    expect(hostsOf(inv, "mesh")).toEqual(Object.keys(ADDRESSES));
    for (const [name, ip] of Object.entries(ADDRESSES)) {
      const conn = connectionOf(resolveHostVars(inv, name));
      expect(conn).toMatchObject({ host: ip, port: 22, knownHostsFile: knownHosts });
      expect(conn.privateKeyFile).toBe(join(vagrant, ".vagrant", "machines", name, "private_key"));
      const check = hostKeyCheck({ who: name, name, address: conn.host, port: conn.port, file: knownHosts, acceptNew: false });
      expect(check.algorithms).toEqual(["ssh-ed25519"]);
      expect(check.verify(Buffer.from(pub(name)[1]!, "base64"))).toBe(true);
    }

    // Vagrant reads the file on every command (destroy, up, ssh-config): same keys, other lines kept.
    const before = Object.keys(ADDRESSES).map((n) => readFileSync(join(vagrant, ".hostkeys", `${n}_ed25519`), "utf8"));
    const added = `[127.0.0.1]:2222 ${pub("node1").slice(0, 2).join(" ")}\n`;
    writeFileSync(knownHosts, added + readFileSync(knownHosts, "utf8"));
    evaluate(join(vagrant, "Vagrantfile"), root);
    expect(Object.keys(ADDRESSES).map((n) => readFileSync(join(vagrant, ".hostkeys", `${n}_ed25519`), "utf8"))).toEqual(before);
    const lines = readFileSync(knownHosts, "utf8").split("\n");
    expect(lines[0]).toBe(added.trim());
    expect(lines.filter((l) => l.startsWith("192.168.56."))).toHaveLength(3);
  });

  it("makes a new pair when half of one is left, instead of stopping at ssh-keygen's overwrite question", () => {
    const { vagrant } = checkout();
    evaluate(join(vagrant, "Vagrantfile"), vagrant);
    const keyFile = join(vagrant, ".hostkeys", "node2_ed25519");
    const pubFile = `${keyFile}.pub`;
    const old = readFileSync(keyFile, "utf8");
    unlinkSync(pubFile);
    evaluate(join(vagrant, "Vagrantfile"), vagrant);
    expect(readFileSync(keyFile, "utf8")).not.toBe(old);
    expect(readFileSync(join(vagrant, "known_hosts"), "utf8")).toContain(`192.168.56.12 ${readFileSync(pubFile, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
  });

  it("says so when ssh-keygen is missing, before Vagrant does anything", () => {
    const { vagrant } = checkout();
    const bin = join(vagrant, "bin");
    mkdirSync(bin);
    symlinkSync(execFileSync("sh", ["-c", "command -v ruby"], { encoding: "utf8" }).trim(), join(bin, "ruby"));
    const r = spawnSync(join(bin, "ruby"), [STUB, join(vagrant, "Vagrantfile")], { encoding: "utf8", env: { ...process.env, PATH: bin } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`cannot make the host key ${join(vagrant, ".hostkeys", "node1_ed25519")} for node1: ssh-keygen was not found (install OpenSSH's client)`);
  });
});
