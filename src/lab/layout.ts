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
export const REPO_PORT = 8000;
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
  subnet: string;
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

export function labLayout(name: string, index: number, hostCount: number): LabLayout {
  checkLabName(name);
  if (!Number.isInteger(index) || index < 1 || index > MAX_LAB_INDEX) {
    throw new Error(`lab index ${index} is outside 1..${MAX_LAB_INDEX}`);
  }
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS) {
    throw new Error(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, got ${hostCount}`);
  }
  const net = `${SUBNET_PREFIX}.${index}`;
  const dir = labDir(name);
  const hosts: LabHost[] = [];
  for (let n = 1; n <= hostCount; n++) hosts.push(labHost(name, index, n));
  return {
    name,
    index,
    subnet: `${net}.0/24`,
    bridge: `bml${index}`,
    bridgeAddress: `${net}.1`,
    repoUrl: `http://${net}.1:${REPO_PORT}/`,
    dir,
    runDir: join(dir, "run"),
    keyFile: join(dir, "id_ed25519"),
    knownHostsFile: join(dir, "known_hosts"),
    sshConfigFile: join(dir, "ssh_config"),
    inventoryFile: join(dir, "inventory.yml"),
    hosts,
  };
}

export function labHost(labName: string, index: number, n: number): LabHost {
  const name = hostName(n);
  return {
    name,
    n,
    address: `${SUBNET_PREFIX}.${index}.${FIRST_HOST_OCTET - 1 + n}`,
    netns: `bgpmesh-${labName}-${name}`,
    veth: `bml${index}h${n}`,
    machine: `bgpmesh-${labName}-${name}`,
    dir: join(labDir(labName), "hosts", name),
  };
}
