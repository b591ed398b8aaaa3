import { spawnSync } from "node:child_process";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_RELEASE, parseReleaseList, RELEASES, type Release } from "../fields/releases.js";
import { labCache, labCrash, labDown, labDownAll, labRebuild, labStatus, labUp } from "../lab/lab.js";
import { checkLabName, MAX_HOSTS } from "../lab/layout.js";
import { debianSources } from "../lab/mirror.js";
import { checkLabPrerequisites } from "../lab/preflight.js";
import { boxName, buildVagrantBox } from "../lab/vagrant-box.js";
import { labUnderlay, readLab } from "../lab/registry.js";
import { labLayout, UNDERLAYS, type Underlay } from "../lab/layout.js";

const log = (msg: string) => console.error(`lab: ${msg}`);

function hostCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_HOSTS}`);
  return n;
}

function releaseList(value: string): Release[] {
  try {
    return parseReleaseList(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function oneRelease(value: string): Release {
  const list = releaseList(value);
  if (list.length !== 1) throw new InvalidArgumentError("one release, e.g. trixie");
  return list[0]!;
}

function labName(value: string): string {
  try {
    return checkLabName(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function underlayOption(value: string): Underlay {
  if (!(UNDERLAYS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${UNDERLAYS.join(", ")}`);
  return value as Underlay;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function labCommand(): Command {
  const lab = new Command("lab").description(
    "real Debian hosts (12 bookworm, 13 trixie) on this machine (systemd-nspawn containers with sshd), for trying and testing the mesh",
  );
  const nameOption = ["-n, --name <name>", "lab name: labs with different names run side by side", labName, "default"] as const;

  lab
    .command("up")
    .description("build (once) and boot a lab; running it again converges to the same hosts")
    .option(...nameOption)
    .option("--hosts <n>", "number of hosts (default: as many as the lab has, 3 for a new lab)", hostCount)
    .option(
      "--release <list>",
      `Debian release of new hosts, or a comma-separated list cycled over them (node1 the first, node2 the second…): ${Object.keys(RELEASES).join(", ")}; default: the lab's own, ${DEFAULT_RELEASE} for a new lab`,
      releaseList,
    )
    .option(
      "--underlay <family>",
      "what the hosts' eth0 carries: ipv4 (10.213.<index>.0/24) or ipv6 (only fd00:bd13:<index>::/64); default: the lab's own, ipv4 for a new lab",
      underlayOption,
    )
    .action(async (opts: { name: string; hosts?: number; release?: Release[]; underlay?: Underlay }) => {
      // Without --hosts a running lab keeps its size: `lab up` after a crash must not remove hosts.
      await labUp(opts.name, opts.hosts ?? readLab(opts.name)?.hosts ?? 3, log, { releases: opts.release, underlay: opts.underlay });
    });

  lab
    .command("cache")
    .description("build (once) the image and package repository of each release, side by side, without booting a host")
    .option("--release <list>", `releases, comma-separated: ${Object.keys(RELEASES).join(", ")}`, releaseList, [DEFAULT_RELEASE])
    .action(async (opts: { release: Release[] }) => {
      await labCache(opts.release, log);
    });

  lab
    .command("rebuild")
    .description("reinstall a host: wipe its disk (keeping its SSH host keys) and boot it again, from another release with --release")
    .argument("<host>", "host name, e.g. node2")
    .option(...nameOption)
    .option("--release <release>", `the release to install: ${Object.keys(RELEASES).join(", ")} (default: the one it runs)`, oneRelease)
    .action(async (host: string, opts: { name: string; release?: Release }) => {
      await labRebuild(opts.name, host, log, opts.release);
    });

  lab
    .command("down")
    .description("power the lab off and remove everything it made (processes, mounts, namespaces, bridge, disks)")
    .option(...nameOption)
    .option("--all", "take every lab on this machine down")
    .option("--keep-state", "keep the hosts' disks, so the next `up` boots them as they were")
    .action(async (opts: { name: string; all?: boolean; keepState?: boolean }) => {
      if (opts.all) await labDownAll(log, { keepState: opts.keepState });
      else await labDown(opts.name, log, { keepState: opts.keepState });
    });

  lab
    .command("status")
    .description("the lab's hosts, whether they run, systemd's state and memory use")
    .option(...nameOption)
    .option("--json", "print JSON")
    .action(async (opts: { name: string; json?: boolean }) => {
      const status = await labStatus(opts.name);
      if (!status) {
        console.error(`no lab named '${opts.name}'`);
        process.exitCode = 1;
        return;
      }
      if (opts.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      const { lab: l, repoServer, hosts } = status;
      console.log(`lab '${l.name}': ${l.subnet} on bridge ${l.bridge}, apt repository ${repoServer ? l.repoUrl : "NOT RUNNING"}`);
      console.log(`inventory ${l.inventoryFile}`);
      // IPv6 addresses (fd00:bd13:250::210) are wider than the IPv4 column of 16.
      const width = Math.max(16, ...hosts.map((h) => h.address.length));
      console.log(`HOST      ${"ADDRESS".padEnd(width)} RELEASE   STATE     SYSTEMD      MEMORY (total / anon)`);
      for (const h of hosts) {
        const mem = h.memory ? `${mib(h.memory.totalBytes)} / ${mib(h.memory.rssBytes)}` : "-";
        console.log(
          `${h.name.padEnd(9)} ${h.address.padEnd(width)} ${(h.release ?? "-").padEnd(9)} ${(h.running ? "running" : "stopped").padEnd(9)} ${(h.systemd ?? "-").padEnd(12)} ${mem}`,
        );
      }
      for (const h of hosts) if (h.problem) console.log(h.problem);
      if (hosts.some((h) => !h.running || h.systemd !== "running")) process.exitCode = 1;
    });

  lab
    .command("crash")
    .description("cut a host's power: kill every process of it at once, with no shutdown (`lab up` boots it again)")
    .argument("<host>", "host name, e.g. node2")
    .option(...nameOption)
    .action(async (host: string, opts: { name: string }) => {
      await labCrash(opts.name, host);
      console.log(`lab '${opts.name}': ${host} crashed (\`lab up --name ${opts.name}\` boots it again)`);
    });
  lab
    .command("ssh")
    .description("open a shell on a lab host (or run COMMAND there) with the lab's key and known_hosts")
    .argument("<host>", "host name, e.g. node1")
    .argument("[command...]", "command to run instead of a shell")
    .option(...nameOption)
    .action((host: string, command: string[], opts: { name: string }) => {
      checkLabPrerequisites();
      const record = readLab(opts.name);
      if (!record) throw new Error(`no lab named '${opts.name}': start it with  bgpmesh-provision lab up --name ${opts.name}`);
      const layout = labLayout(opts.name, record.index, record.hosts, labUnderlay(record));
      if (!layout.hosts.some((h) => h.name === host)) {
        throw new Error(`lab '${opts.name}' has no host '${host}' (it has ${layout.hosts.map((h) => h.name).join(", ")})`);
      }
      const r = spawnSync("ssh", ["-F", layout.sshConfigFile, host, ...command], { stdio: "inherit" });
      process.exitCode = r.status ?? 1;
    });
  lab
    .command("box")
    .description("make a Vagrant box (libvirt) of the lab's Debian image with a kernel, for vagrant/Vagrantfile on a machine that cannot download debian/bookworm64")
    .option("--release <release>", `Debian release: ${Object.keys(RELEASES).join(", ")}`, oneRelease, DEFAULT_RELEASE)
    .option("--out <file>", "the .box file to write (default: bgpmesh-RELEASE64.box here)")
    .option("--apt-repo <url>", "the VMs' apt source: a flat repository at URL/RELEASE/ as `lab up` serves one (default: Debian's archive)")
    .option("--login-key <file.pub>", "the public key the vagrant user accepts until Vagrant puts its own (default: Vagrant's well-known key)")
    .option("--add", "then `vagrant box add` it as bgpmesh/RELEASE64 (replacing one of that name)")
    .action(async (opts: { release: Release; out?: string; aptRepo?: string; loginKey?: string; add?: boolean }) => {
      const aptSources = opts.aptRepo ? `deb [trusted=yes] ${opts.aptRepo.replace(/\/+$/, "")}/${opts.release}/ ./\n` : debianSources(opts.release);
      const out = opts.out ?? `bgpmesh-${opts.release}64.box`;
      const box = await buildVagrantBox({ release: opts.release, out, aptSources, loginKey: opts.loginKey }, log);
      log(`box ${box.file}: ${mib(box.bytes)} in ${box.seconds.toFixed(1)} s`);
      if (opts.add) {
        const r = spawnSync("vagrant", ["box", "add", "--force", "--name", boxName(opts.release), box.file], { stdio: "inherit" });
        if (r.status !== 0) throw new Error(`vagrant box add failed${r.error ? `: ${r.error.message}` : ""}`);
        log(`added as ${boxName(opts.release)}: BGPMESH_VAGRANT_BOX=${boxName(opts.release)} vagrant up (in vagrant/)`);
      }
    });
  return lab;
}
