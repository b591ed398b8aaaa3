// Where the agent's files live, and which files are the agent's. docs/mesh.md ("Who owns what")
// splits the directories between the provisioner and the agent; this is the agent's side of that
// table in code, so nothing the provisioner (or an admin) wrote is ever rewritten or deleted.
import { posix } from "node:path";
import type { AgentConfig } from "./config.js";
import { TINC_NAME } from "../fields/names.js";

export interface AgentPaths {
  /** /etc/tinc/<net> */
  tincNetDir: string;
  /** /etc/tinc/<net>/tinc.conf: seeded by the provisioner, then the agent's. */
  tincConf: string;
  /** /etc/tinc/<net>/hosts: the agent's files are those of the other nodes. */
  hostsDir: string;
  /** /etc/tinc/<net>/hosts/<self>: the provisioner's, never touched. */
  selfHostFile: string;
  /** /etc/bird/peers.d */
  birdPeersDir: string;
  /** /etc/bird/peers.d/peers.conf: the agent's only file there (00-bgpmesh.conf is the provisioner's). */
  birdPeersFile: string;
  /** /etc/bird/bird.conf: the provisioner's; the agent only checks it. */
  birdConf: string;
  hostFile(name: string): string;
}

export function agentPaths(config: AgentConfig): AgentPaths {
  const tincNetDir = posix.join(config.paths.tincDir, config.meshName);
  const hostsDir = posix.join(tincNetDir, "hosts");
  return {
    tincNetDir,
    tincConf: posix.join(tincNetDir, "tinc.conf"),
    hostsDir,
    selfHostFile: posix.join(hostsDir, config.name),
    birdPeersDir: config.paths.birdPeersDir,
    birdPeersFile: posix.join(config.paths.birdPeersDir, "peers.conf"),
    birdConf: config.paths.birdConf,
    hostFile: (name) => posix.join(hostsDir, name),
  };
}

/**
 * Whether the agent may write or delete `path` (an absolute path on the host, without any test
 * root): tinc.conf, hosts/<valid tinc name> except this node's own, and peers.d/peers.conf.
 * Anything else in those directories (hosts/<self>, 00-bgpmesh.conf, an admin's notes, a file
 * whose name tinc could not use) is left alone.
 */
export function isAgentOwned(paths: AgentPaths, path: string): boolean {
  if (path === paths.tincConf || path === paths.birdPeersFile) return true;
  const base = posix.basename(path);
  return posix.dirname(path) === paths.hostsDir && TINC_NAME.test(base) && path !== paths.selfHostFile;
}
