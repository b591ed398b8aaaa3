// The configuration repository's working copy on the node: fetched, then checked out exactly at the
// branch's commit, with anything a person or an earlier run left in it removed. A run works from
// the commit it names, never from a half-updated tree.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CommandError, run } from "../util/exec.js";

export interface Checkout {
  dir: string;
  commit: string;
  subject: string;
}

/** A repository address as it may be shown: a password or token in it is replaced. */
export function shownUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, "$1:***@");
}

export async function syncCheckout(url: string, branch: string, dir: string): Promise<Checkout> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const git = async (...args: string[]) => {
    try {
      // No prompt for a password: a cron job has nobody to answer it.
      return (await run("git", ["-C", dir, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } })).stdout.trim();
    } catch (e) {
      const detail = e instanceof CommandError ? (e.result.stderr.trim() || e.result.stdout.trim()) : (e as Error).message;
      // git may print the address it was given, credentials included.
      throw new Error(`git ${args[0]} failed: ${detail.split(url).join(shownUrl(url))}`);
    }
  };
  if (!existsSync(join(dir, ".git"))) await git("init", "--quiet");
  const ref = `refs/remotes/pull/${branch}`;
  await git("fetch", "--quiet", "--no-tags", "--depth", "1", "--", url, `+refs/heads/${branch}:${ref}`).catch((e: Error) => {
    throw new Error(`cannot fetch branch '${branch}' of ${shownUrl(url)}: ${e.message.replace(/^git fetch failed: /, "")}`);
  });
  await git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", "--detach", ref);
  await git("clean", "-ffdxq");
  return { dir, commit: await git("rev-parse", "HEAD"), subject: await git("log", "-1", "--format=%s") };
}
