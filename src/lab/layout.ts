// Where a lab's pieces live and what they are called: pure functions of the lab's name, its
// registry index and its size, so `up`, `down` and `status` always agree on names without
// having to remember them.
import { join } from "node:path";

export const LAB_ROOT = process.env.BGPMESH_LAB_ROOT ?? "/var/lib/bgpmesh/lab";
export const CACHE_ROOT = process.env.BGPMESH_LAB_CACHE ?? "/var/cache/bgpmesh/lab";

/** Lab subnets are 10.213.<index>.0/24: a block no default Debian setup routes. */
export const SUBNET_PREFIX = process.env.BGPMESH_LAB_SUBNET_PREFIX ?? "10.213";
export const MAX_LAB_INDEX = 250;
export const MAX_HOSTS = 200;
/**
 * IPv6-only labs (`lab up --underlay ipv6`) use fd00:bd13:<index>::/64: a unique local prefix
 * (RFC 4193) that is routed nowhere, so nothing of a lab can leave the machine. The index is
 * written as it is (hex digits read as hex): fd00:bd13:7::11 for node1 of lab 7.
 */
export const SUBNET6_PREFIX = "fd00:bd13";
export const REPO_PORT = 8000;

/** What the hosts' eth0 and the bridge carry: IPv4 (the default, as before) or IPv6 only. */
export type Underlay = "ipv4" | "ipv6";
export const UNDERLAYS: readonly Underlay[] = ["ipv4", "ipv6"];
const FIRST_HOST_OCTET = 11;

const NAME_RE = /^[a-z][a-z0-9-]{0,19}$/;

export function checkLabName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new Error(
      `lab name '${name}' is not valid: use 1 to 20 lowercase letters, digits or '-', starting with a letter`,
    );
  }
  return name;
}

export interface LabHost {
  name: string;
  /** 1-based position in the lab: node<n> */
  n: number;
  address: string;
  netns: string;
  /** host-side veth; interface names are limited to 15 bytes, hence the index-based name */
  veth: string;
  /** systemd-nspawn machine name: unique across labs */
  machine: string;
  dir: string;
}

export interface LabLayout {
  name: string;
  index: number;
  underlay: Underlay;
  subnet: string;
  /** the subnet's prefix length: 24 (IPv4) or 64 (IPv6) */
  prefixlen: number;
  bridge: string;
  bridgeAddress: string;
  repoUrl: string;
  dir: string;
  runDir: string;
  keyFile: string;
  knownHostsFile: string;
  sshConfigFile: string;
  inventoryFile: string;
  hosts: LabHost[];
}

export function labDir(name: string): string {
  return join(LAB_ROOT, name);
}

export function hostName(n: number): string {
  return `node${n}`;
}

/** `address` as a URL's host: an IPv6 address in brackets. */
export const urlHost = (address: string): string => (address.includes(":") ? `[${address}]` : address);

export function labLayout(name: string, index: number, hostCount: number, underlay: Underlay = "ipv4"): LabLayout {
  checkLabName(name);
  if (!Number.isInteger(index) || index < 1 || index > MAX_LAB_INDEX) {
    throw new Error(`lab index ${index} is outside 1..${MAX_LAB_INDEX}`);
  }
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS) {
    throw new Error(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, got ${hostCount}`);
  }
  const v6 = underlay === "ipv6";
  const net = v6 ? `${SUBNET6_PREFIX}:${index}:` : `${SUBNET_PREFIX}.${index}`;
  const bridgeAddress = v6 ? `${net}:1` : `${net}.1`;
  const dir = labDir(name);
  const hosts: LabHost[] = [];
  for (let n = 1; n <= hostCount; n++) hosts.push(labHost(name, index, n, underlay));
  return {
    name,
    index,
    underlay,
    subnet: v6 ? `${net}:/64` : `${net}.0/24`,
    prefixlen: v6 ? 64 : 24,
    bridge: `bml${index}`,
    bridgeAddress,
    repoUrl: `http://${urlHost(bridgeAddress)}:${REPO_PORT}/`,
    dir,
    runDir: join(dir, "run"),
    keyFile: join(dir, "id_ed25519"),
    knownHostsFile: join(dir, "known_hosts"),
    sshConfigFile: join(dir, "ssh_config"),
    inventoryFile: join(dir, "inventory.yml"),
    hosts,
  };
}

export function labHost(labName: string, index: number, n: number, underlay: Underlay = "ipv4"): LabHost {
  const name = hostName(n);
  const last = FIRST_HOST_OCTET - 1 + n;
  return {
    name,
    n,
    address: underlay === "ipv6" ? `${SUBNET6_PREFIX}:${index}::${last}` : `${SUBNET_PREFIX}.${index}.${last}`,
    netns: `bgpmesh-${labName}-${name}`,
    veth: `bml${index}h${n}`,
    machine: `bgpmesh-${labName}-${name}`,
    dir: join(labDir(labName), "hosts", name),
  };
}
