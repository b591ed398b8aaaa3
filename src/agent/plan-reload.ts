// What to tell tinc and BIRD after a reconcile wrote files, as data: the caller runs the
// commands (and keeps a reload owed when one fails, since the next reconcile will find the files
// already written and see nothing to do).
//
// - tinc: only when tinc.conf changed (ConnectTo lines, or a base setting). A new or changed host
//   file needs nothing: tinc 1.0 reads hosts/<peer> when that peer connects. A reload when
//   nothing in tinc.conf changed would only risk dropping connections (tinc drops peers whose host
//   file is newer than its last reload) and, with a bad tinc.conf, tincd itself (it exits).
// - BIRD: only when a file BIRD reads changed: one its `include "<peers dir>/*.conf"` matches.
//   First `bird -p -c bird.conf` parses the whole configuration, includes and all; only if that
//   passes does `birdc configure` apply it (BIRD then restarts only the protocols that changed).
//   A new peers.conf is checked before it is renamed into place (see bird-check.ts, and the
//   reconciler), with birdCheck() on a copy of bird.conf that includes the staged file.
import { posix } from "node:path";
import type { AgentConfig } from "./config.js";
import { agentPaths, type AgentPaths } from "./paths.js";

export interface Command {
  /** argv: run without a shell. */
  argv: string[];
  /** For logs and metrics. */
  label: string;
}

export interface ReloadPlan {
  /**
   * `tincd -n <net> -kHUP`, what the unit's ExecReload runs, but not through systemd: the agent's
   * unit is ordered after tinc's, so while systemd stops the agent it holds a reload job on tinc
   * until that stop ends, and a reconcile caught by the stop waited on `systemctl reload` until
   * the agent's 8 s stop timeout killed it (seen on every first apply of a host).
   */
  tinc?: Command;
  /** Run `check`; run `configure` only when `check` exited 0. */
  bird?: { check: Command; configure: Command };
}

export function tincReload(config: AgentConfig): Command {
  return { label: "reload tinc", argv: ["tincd", "-n", config.meshName, "-kHUP"] };
}

/** `bird -p -c <file>`: parse the configuration in `file`, includes and all, and exit. */
export function birdCheck(configFile: string): Command {
  return { label: "check bird config", argv: ["bird", "-p", "-c", configFile] };
}

/** Whether BIRD reads this path: a `*.conf` in the peers directory (glob's `*` skips dot files). */
function birdReads(paths: AgentPaths, path: string): boolean {
  const base = posix.basename(path);
  return posix.dirname(path) === paths.birdPeersDir && base.endsWith(".conf") && !base.startsWith(".");
}

/** `written` is writeChanged()'s result (a removed file counts like a changed one). */
export function planReload(config: AgentConfig, written: { changed: readonly string[]; removed?: readonly string[] }): ReloadPlan {
  const paths = agentPaths(config);
  const touched = [...written.changed, ...(written.removed ?? [])];
  const plan: ReloadPlan = {};
  if (touched.includes(paths.tincConf)) {
    plan.tinc = tincReload(config);
  }
  if (touched.some((p) => birdReads(paths, p))) {
    plan.bird = {
      check: birdCheck(paths.birdConf),
      configure: { label: "reconfigure bird", argv: ["birdc", "configure"] },
    };
  }
  return plan;
}
