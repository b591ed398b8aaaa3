// The process that serves a lab's apt repository on its bridge address.
import { spawn } from "node:child_process";
import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alive, livePid, signal } from "../util/procs.js";
import { sleep, waitFor } from "../util/time.js";
import type { AptRepo } from "./apt-repo.js";
import { REPO_PORT, type LabLayout } from "./layout.js";

const SERVER = fileURLToPath(new URL("./repo-server.js", import.meta.url));
const pidFile = (lab: LabLayout) => join(lab.runDir, "repo.pid");

const serverArgs = (lab: LabLayout, repos: AptRepo[]) => [lab.bridgeAddress, String(REPO_PORT), ...repos.map((r) => `${r.release}=${r.dir}`)];

/** The server's pid; with `repos`, only if it serves exactly those. */
export function repoServerPid(lab: LabLayout, repos?: AptRepo[]): number | undefined {
  return livePid(pidFile(lab), repos ? `repo-server.js ${serverArgs(lab, repos).join(" ")}` : "repo-server.js");
}

/** Serves `repos` (a lab's releases), restarting the server when it serves other ones. */
export async function ensureRepoServer(lab: LabLayout, repos: AptRepo[]): Promise<void> {
  if (repoServerPid(lab, repos) === undefined) {
    await stopRepoServer(lab);
    const out = openSync(join(lab.runDir, "repo.log"), "a");
    const child = spawn(process.execPath, [SERVER, ...serverArgs(lab, repos)], {
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    writeFileSync(pidFile(lab), `${child.pid}\n`);
    child.unref();
  }
  await waitFor(`the apt repository on ${lab.repoUrl}`, 10_000, async () => {
    try {
      const res = await fetch(`${lab.repoUrl}${repos[0]!.release}/Packages`, { method: "HEAD", signal: AbortSignal.timeout(1000) });
      return res.ok ? true : undefined;
    } catch {
      return undefined;
    }
  });
}

export async function stopRepoServer(lab: LabLayout): Promise<void> {
  const pid = repoServerPid(lab);
  if (pid !== undefined) {
    signal(pid, "SIGTERM");
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) signal(pid, "SIGKILL");
  }
  rmSync(pidFile(lab), { force: true });
}
