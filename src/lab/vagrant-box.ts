// A Vagrant box for the libvirt provider, made on this machine from the lab's Debian image and
// Debian's own packages, with no other download: for machines where `debian/bookworm64` cannot be
// fetched (no internet, only Debian's archive). What it adds to the lab image, which is what a
// Debian cloud image has and the lab's containers do not need:
// - a kernel and its initramfs (Debian's cloud kernel: virtio disk and network as modules), which
//   libvirt boots directly (the box's Vagrantfile names them): the disk is one ext4 file system
//   with no partition table and no boot loader, so the box is made with no loop device or mount;
// - the `vagrant` user with passwordless sudo and Vagrant's well-known public key, which Vagrant
//   replaces with a key of its own at the first `vagrant up`, as it does for any public box;
// - SSH host keys made at first boot (the image has none: each lab host gets its own);
// - DHCP on every network interface (systemd-networkd, which Vagrant's Debian support then uses
//   to set the private network's address), and the apt source given.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Release } from "../fields/releases.js";
import { run } from "../util/exec.js";
import { stopwatch } from "../util/time.js";
import { downloadForImage } from "./apt-repo.js";
import { ensureImage } from "./image.js";
import { CACHE_ROOT } from "./layout.js";
import { checkBoxPrerequisites } from "./preflight.js";

/** The name `vagrant box add` gives the box, which BGPMESH_VAGRANT_BOX selects in vagrant/Vagrantfile. */
export const boxName = (release: Release): string => `bgpmesh/${release}64`;

/** Where Debian's and HashiCorp's vagrant packages keep their gems, Vagrant's own among them. */
const GEM_DIRS = ["/usr/share/rubygems-integration/all/gems", "/opt/vagrant/embedded/gems/gems", "/opt/vagrant/embedded/gems"];

/** Vagrant's well-known ("insecure") public key, as the installed vagrant ships it. */
export function vagrantPublicKey(): string | undefined {
  const found = GEM_DIRS.flatMap((d) => {
    if (!existsSync(d)) return [];
    return readdirSync(d)
      .filter((g) => /^vagrant-\d/.test(g))
      .map((g) => join(d, g, "keys/vagrant.pub"))
      .filter((k) => existsSync(k));
  });
  return found.sort().at(-1);
}

/** The kernel command line: the disk is the file system itself; eth0, eth1 as Vagrant's network order. */
export const BOX_CMDLINE = "root=/dev/vda rw console=ttyS0 net.ifnames=0";

export interface BoxOptions {
  release: Release;
  /** the .box file to write */
  out: string;
  /** the box's /etc/apt/sources.list */
  aptSources: string;
  /** the public key the `vagrant` user accepts before Vagrant replaces it (default: Vagrant's own) */
  loginKey?: string;
  /** the disk's size in GiB (the file system fills it; qcow2 stores only what is used) */
  diskGiB?: number;
}

export async function buildVagrantBox(opts: BoxOptions, log: (msg: string) => void): Promise<{ file: string; seconds: number; bytes: number }> {
  const took = stopwatch();
  const loginKey = opts.loginKey ?? vagrantPublicKey();
  if (!loginKey || !existsSync(loginKey)) {
    throw new Error(
      opts.loginKey ? `login key ${opts.loginKey}: no such file` : "Vagrant's public key was not found (is vagrant installed?): give the key the box accepts with --login-key FILE.pub",
    );
  }
  checkBoxPrerequisites();
  const image = await ensureImage(opts.release, log);
  const work = join(CACHE_ROOT, "box-build", `${opts.release}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const root = join(work, "root");
    log(`copying the lab's ${opts.release} image`);
    await run("cp", ["-a", image.dir, root]);
    log("downloading Debian's cloud kernel and initramfs-tools");
    const debs = join(root, "var/cache/bgpmesh-box");
    await downloadForImage(image, ["linux-image-cloud-amd64", "initramfs-tools"], debs);
    log("installing them in the image (makes the initramfs)");
    await chrootInstall(root, debs);
    await configure(root, opts.aptSources, loginKey);

    const box = join(work, "box");
    mkdirSync(box);
    const boot = readdirSync(join(root, "boot"));
    const kernel = boot.find((f) => f.startsWith("vmlinuz-"));
    const initrd = boot.find((f) => f.startsWith("initrd.img-"));
    if (!kernel || !initrd) throw new Error(`the kernel package left no vmlinuz or initrd.img in ${join(root, "boot")}`);
    copyFileSync(join(root, "boot", kernel), join(box, "vmlinuz"));
    copyFileSync(join(root, "boot", initrd), join(box, "initrd.img"));
    const size = opts.diskGiB ?? 8;
    log(`making the disk: ext4 of ${size} GiB from the tree, as qcow2`);
    const raw = join(work, "disk.raw");
    await run("mkfs.ext4", ["-q", "-F", "-L", "root", "-d", root, raw, `${size}G`]);
    await run("qemu-img", ["convert", "-c", "-O", "qcow2", raw, join(box, "box.img")]);
    rmSync(raw);
    writeFileSync(join(box, "metadata.json"), `${JSON.stringify({ provider: "libvirt", format: "qcow2", virtual_size: size })}\n`);
    writeFileSync(join(box, "Vagrantfile"), boxVagrantfile());
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    // qcow2 is compressed already: a plain tar, which `vagrant box add` reads as well as a gzipped one.
    await run("tar", ["-cf", `${out}.tmp`, "-C", box, "metadata.json", "Vagrantfile", "box.img", "vmlinuz", "initrd.img"]);
    renameSync(`${out}.tmp`, out);
    return { file: out, seconds: took(), bytes: statSync(out).size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * dpkg in a chroot of the tree, with /proc, /sys and /dev mounted in a mount namespace of its own
 * (the machine's mounts are untouched, and they go when it ends), and no daemon started.
 */
async function chrootInstall(root: string, debs: string): Promise<void> {
  const policy = join(root, "usr/sbin/policy-rc.d");
  writeFileSync(policy, "#!/bin/sh\nexit 101\n");
  chmodSync(policy, 0o755);
  const inside = `/${debs.slice(root.length + 1)}`;
  const script = [
    "set -e",
    `cd ${root}`,
    "mount -t proc proc proc && mount -t sysfs sys sys && mount --bind /dev dev",
    `DEBIAN_FRONTEND=noninteractive chroot . sh -c 'dpkg -i --force-unsafe-io ${inside}/*.deb'`,
  ].join("\n");
  try {
    await run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]);
  } finally {
    rmSync(policy, { force: true });
    rmSync(debs, { recursive: true, force: true });
  }
}

async function configure(root: string, aptSources: string, loginKey: string): Promise<void> {
  const etc = join(root, "etc");
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text, { mode });
  };
  // Enabled at boot: the link multi-user.target.wants/UNIT → the unit file.
  const wants = (unitFile: string) => {
    const link = join(etc, "systemd/system/multi-user.target.wants", basename(unitFile));
    rmSync(link, { force: true });
    symlinkSync(unitFile, link);
  };
  // The vagrant user, logging in with the key; sudo with no password, as Vagrant expects.
  await run("chroot", [root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "vagrant"]);
  const [uid, gid] = readFileSync(join(etc, "passwd"), "utf8")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === "vagrant")!
    .slice(2, 4)
    .map(Number) as [number, number];
  const ssh = join(root, "home/vagrant/.ssh");
  mkdirSync(ssh, { mode: 0o700 });
  writeFileSync(join(ssh, "authorized_keys"), readFileSync(loginKey), { mode: 0o600 });
  for (const p of [ssh, join(ssh, "authorized_keys")]) chownSync(p, uid, gid);
  put("etc/sudoers.d/vagrant", "vagrant ALL=(ALL) NOPASSWD:ALL\n", 0o440);
  put("etc/fstab", "/dev/vda / ext4 rw,errors=remount-ro 0 1\n");
  put("etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tvm\n::1\t\tlocalhost ip6-localhost ip6-loopback\n");
  put("etc/hostname", "vm\n");
  put("etc/apt/sources.list", aptSources.endsWith("\n") ? aptSources : `${aptSources}\n`);
  // Every interface asks DHCP; Vagrant writes a file of its own (50-vagrant-eth1.network) for the
  // private network's fixed address, which networkd takes before this one.
  put("etc/systemd/network/99-dhcp.network", "[Match]\nName=eth* en*\n\n[Network]\nDHCP=ipv4\n");
  wants("/lib/systemd/system/systemd-networkd.service");
  put(
    "etc/systemd/system/ssh-hostkeys.service",
    "[Unit]\nDescription=SSH host keys, made at first boot\nBefore=ssh.service\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n\n[Install]\nWantedBy=multi-user.target\n",
  );
  wants("/etc/systemd/system/ssh-hostkeys.service");
  // The lab image masks the consoles' gettys; a VM's serial console is worth a login.
  rmSync(join(etc, "systemd/system/getty@.service"), { force: true });
}

function boxVagrantfile(): string {
  return `# The box's own settings, merged under the project's Vagrantfile. Made by bgpmesh-provision
# (src/lab/vagrant-box.ts): libvirt boots the kernel and initramfs of this folder directly.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "${BOX_CMDLINE}"
  end
end
`;
}
