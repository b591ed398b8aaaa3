import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Programs the lab runs on the controller, with the Debian package that ships each. */
const TOOLS: Record<string, string> = {
  "systemd-nspawn": "systemd-container",
  debootstrap: "debootstrap",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
  "dpkg-scanpackages": "dpkg-dev",
  "apt-get": "apt",
  ip: "iproute2",
  mount: "mount",
  chroot: "coreutils",
};

function onPath(program: string): boolean {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((d) => {
    try {
      accessSync(join(d, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What `lab box` runs besides the lab's own tools (src/lab/vagrant-box.ts). */
const BOX_TOOLS: Record<string, string> = {
  "qemu-img": "qemu-utils",
  "mkfs.ext4": "e2fsprogs",
  unshare: "util-linux",
  tar: "tar",
};

/** Fails with one clear message unless this is Linux, we are root and every tool is installed. */
export function checkLabPrerequisites(extra: Record<string, string> = {}): void {
  if (process.platform !== "linux") {
    throw new Error(`the lab needs Linux (network namespaces, overlayfs, systemd-nspawn); this is ${process.platform}`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error("the lab must run as root: it creates network namespaces, mounts and containers (try: sudo bgpmesh-provision lab ...)");
  }
  const tools = { ...TOOLS, ...extra };
  const missing = Object.keys(tools).filter((t) => !onPath(t));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => tools[t]))].join(" ");
    throw new Error(`the lab needs ${missing.join(", ")}: install them with  apt-get install ${pkgs}`);
  }
}

export const checkBoxPrerequisites = (): void => checkLabPrerequisites(BOX_TOOLS);
