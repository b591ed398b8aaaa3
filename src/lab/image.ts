// The Debian root file system every lab host boots from (as the lower layer of an overlay).
// Built once with debootstrap and cached under a key of its recipe, so a changed recipe builds a
// new image while labs still running keep the old one.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../util/exec.js";
import { withDirLock } from "../util/lock.js";
import { CACHE_ROOT } from "./layout.js";
import type { Release } from "../fields/releases.js";
import { MIRROR } from "./mirror.js";

/** What a fresh Debian cloud image has that the minbase variant lacks. */
const INCLUDE = [
  "systemd", "systemd-sysv", "libpam-systemd", "dbus", "openssh-server", "sudo",
  "iproute2", "iputils-ping", "procps", "netbase", "ca-certificates", "curl", "less", "python3",
];
/** Bump when the tweaks below change. */
const RECIPE_VERSION = 2;

export interface Image {
  key: string;
  dir: string;
  release: Release;
}

export function imageKey(release: Release): string {
  // The key of bookworm's image is the one it had before trixie existed: labs keep their cache.
  const SUITE = release;
  return createHash("sha256").update(JSON.stringify({ SUITE, MIRROR, INCLUDE, RECIPE_VERSION })).digest("hex").slice(0, 12);
}

const imagesDir = (): string => join(CACHE_ROOT, "images");
const COMPLETE = ".bgpmesh-image";

export async function ensureImage(release: Release, log: (msg: string) => void): Promise<Image> {
  const key = imageKey(release);
  const dir = join(imagesDir(), key);
  if (existsSync(join(dir, COMPLETE))) return { key, dir, release };
  // One lock per image: two releases build side by side (the lab tests start both at once).
  return withDirLock(join(imagesDir(), ".locks", key), async () => {
    if (existsSync(join(dir, COMPLETE))) return { key, dir, release };
    const tmp = `${dir}.building`;
    rmSync(tmp, { recursive: true, force: true });
    log(`building the Debian ${release} image with debootstrap (once; about a minute)`);
    const logFile = join(imagesDir(), `debootstrap-${key}.log`);
    const result = await run(
      "debootstrap",
      ["--variant=minbase", `--include=${INCLUDE.join(",")}`, release, tmp, MIRROR],
      { allowFailure: true },
    );
    writeFileSync(logFile, result.stdout + result.stderr);
    if (result.code !== 0) {
      throw new Error(`debootstrap failed (exit ${result.code}); its log is ${logFile}:\n${result.stdout.split("\n").slice(-6).join("\n")}`);
    }
    await tweak(tmp);
    writeFileSync(join(tmp, COMPLETE), `${key}\n`);
    renameSync(tmp, dir);
    return { key, dir, release };
  });
}

/** Makes the debootstrap tree look like a cloud image whose per-host identity is added at first boot. */
async function tweak(root: string): Promise<void> {
  const etc = join(root, "etc");
  // Per-host values, written into each host's own layer before its first boot.
  for (const f of readdirSync(join(etc, "ssh"))) {
    if (f.startsWith("ssh_host_")) rmSync(join(etc, "ssh", f));
  }
  writeFileSync(join(etc, "machine-id"), "");
  rmSync(join(root, "var/lib/dbus/machine-id"), { force: true });
  writeFileSync(join(etc, "apt/sources.list"), "# written per lab by bgpmesh-provision lab up\n");
  writeFileSync(join(etc, "apt/apt.conf.d/90bgpmesh-lab"), 'Acquire::Languages "none";\nAcquire::http::Timeout "10";\n');
  for (const dir of ["var/lib/apt/lists", "var/cache/apt/archives"]) {
    for (const f of readdirSync(join(root, dir))) {
      if (f !== "partial" && f !== "lock") rmSync(join(root, dir, f), { recursive: true, force: true });
    }
  }
  // Lab hosts have no DNS and no default route: names come from /etc/hosts.
  writeFileSync(join(etc, "resolv.conf"), "# lab host: no DNS, names are in /etc/hosts\n");
  // Nothing logs in on a console.
  mkdirSync(join(etc, "systemd/system"), { recursive: true });
  for (const unit of ["console-getty.service", "getty@.service"]) {
    rmSync(join(etc, "systemd/system", unit), { force: true });
    symlinkSync("/dev/null", join(etc, "systemd/system", unit));
  }
  // An SSH login does not start a systemd user manager (user@0.service) for its session: on a real
  // host that is one process per login, on a lab of 100 hosts on 2 cores it was the hosts' systemd
  // starting and stopping one per host at every apply, verify and `lab status`. pam-auth-update
  // records the choice, so an upgrade of libpam-systemd on the host does not bring it back.
  await run("chroot", [root, "pam-auth-update", "--disable", "systemd"]);
  // The default user of Debian's cloud images: passwordless sudo, key login only.
  await run("chroot", [root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "debian"]);
  writeFileSync(join(etc, "sudoers.d/90-cloud-init-users"), "debian ALL=(ALL) NOPASSWD:ALL\n", { mode: 0o440 });
}
