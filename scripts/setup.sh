#!/usr/bin/env bash
# Installs what bgpmesh-provision and its lab need on a Debian 12 controller, then builds it.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (it installs Debian packages): sudo $0" >&2
  exit 1
fi
if ! command -v node >/dev/null || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "setup: Node.js 20 or newer (with npm) is needed on the controller; found: $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# The lab: debootstrap builds the hosts' image, systemd-nspawn boots them, dpkg-scanpackages
# indexes their apt repository; OpenSSH reaches them. The tests: git serves a configuration
# repository to pull mode, ruby checks the Vagrantfile.
packages=(debootstrap systemd-container dpkg-dev openssh-client iproute2 debian-archive-keyring ca-certificates git ruby)
# --vagrant (npm run test:vagrant): Vagrant with its libvirt provider, libvirt's daemons and QEMU, to
# boot the Vagrantfile's VMs; qemu-img makes the box. Not libvirt-daemon-system: the test runs a
# libvirtd of its own, and that package would start the machine's (and its default network).
if [ "${1:-}" = --vagrant ]; then
  packages+=(vagrant vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base iptables)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -q >/dev/null || echo "setup: apt-get update reported errors (continuing)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
