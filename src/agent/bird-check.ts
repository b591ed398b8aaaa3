// The configuration BIRD checks a staged peers.conf in. BIRD reads peers.conf only through the
// main config's `include "<peers dir>/*.conf"`, and a peers.conf alone does not parse (its
// protocols are `from mesh_peer`, a template of the main config). So the check is run on a copy
// of the main config in which that include names the staged file instead of peers.conf, and the
// other files it matches (the provisioner's 00-bgpmesh.conf) one by one, in the glob's order. The
// good peers.conf is replaced only when BIRD accepted that copy, as confd does it.
//
// The copy is a dot file beside bird.conf, so relative includes in it resolve as in bird.conf and
// the peers glob (`*` skips dot files) never reads it; it is removed after the check.
import { readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { stageFile, type StagedFile } from "../util/atomic-write.js";
import type { AgentPaths } from "./paths.js";

/** `*` and `?` of a shell glob, as BIRD's include uses them (glob(3): a leading dot is never matched). */
function globMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return (name) => re.test(name) && (!name.startsWith(".") || pattern.startsWith("."));
}

const quoted = (path: string) => `include "${path}";`;

/**
 * `birdConf` with every include of the peers directory replaced by explicit includes in which
 * `stagedPeers` stands in for the peers file. `peersDirNames` are the names in that directory.
 * A main config that does not include the directory (changed by hand) gets the staged file
 * included at its end, so the new peers are still checked against its templates.
 */
export function checkConfigText(birdConf: string, paths: Pick<AgentPaths, "birdPeersDir" | "birdPeersFile">, stagedPeers: string, peersDirNames: readonly string[]): string {
  const dir = paths.birdPeersDir.replace(/\/+$/, "");
  const peersName = posix.basename(paths.birdPeersFile);
  const names = [...new Set([...peersDirNames, peersName])].sort();
  let found = false;
  const escapedDir = dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const text = birdConf.replace(new RegExp(`include\\s+"${escapedDir}/([^"/]+)"\\s*;`, "g"), (_all, pattern: string) => {
    found = true;
    const matches = globMatcher(pattern);
    const files = names.filter(matches).map((n) => (n === peersName ? stagedPeers : posix.join(dir, n)));
    // A pattern that matches nothing is an error in BIRD; keep it so the check says so.
    return files.length > 0 ? files.map(quoted).join("\n") : quoted(posix.join(dir, pattern));
  });
  return found ? text : `${text.replace(/\n?$/, "\n")}${quoted(stagedPeers)}\n`;
}

/**
 * Writes the check config for `stagedPeers` (a path on the host) beside bird.conf; `root`
 * prefixes every path on disk (tests). The caller runs the check on `hostPath` and then discards it
 * (never commits it).
 */
export function stageCheckConfig(paths: AgentPaths, root: string, stagedPeers: string): { file: StagedFile; hostPath: string } {
  const onDisk = (p: string) => posix.join(root, p);
  const names = readdirSync(onDisk(paths.birdPeersDir));
  const text = checkConfigText(readFileSync(onDisk(paths.birdConf), "utf8"), paths, stagedPeers, names);
  // The name it is staged for is not bird.conf, so even a commit() by mistake could not replace it.
  const target = posix.join(posix.dirname(paths.birdConf), `${posix.basename(paths.birdConf)}.bgpmesh-check`);
  // 0600: it is only for the check, which runs as root, like the agent.
  const file = stageFile(onDisk(target), text, { mode: 0o600 });
  return { file, hostPath: posix.join(posix.dirname(paths.birdConf), posix.basename(file.temp)) };
}
