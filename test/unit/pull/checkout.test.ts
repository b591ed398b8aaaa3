import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shownUrl, syncCheckout } from "../../../src/pull/checkout.js";
import { run } from "../../../src/util/exec.js";

// Real git against a repository in a temp folder (a file:// URL works as any remote does).
async function origin(): Promise<{ url: string; commit: (file: string, text: string, msg: string) => Promise<string> }> {
  const dir = mkdtempSync(join(tmpdir(), "bgpmesh-origin-"));
  const git = (...a: string[]) => run("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", ...a]);
  await git("init", "-q", "-b", "main");
  return {
    url: `file://${dir}`,
    commit: async (file, text, msg) => {
      writeFileSync(join(dir, file), text);
      await git("add", "-A");
      await git("commit", "-q", "-m", msg);
      return (await git("rev-parse", "HEAD")).stdout.trim();
    },
  };
}

describe("the configuration repository's working copy", () => {
  it("follows the branch, and drops what an earlier run or a person left in the tree", async () => {
    const o = await origin();
    const first = await o.commit("inventory.yml", "all: {}\n", "first");
    const dir = join(mkdtempSync(join(tmpdir(), "bgpmesh-wc-")), "checkout");
    expect(await syncCheckout(o.url, "main", dir)).toEqual({ dir, commit: first, subject: "first" });
    writeFileSync(join(dir, "inventory.yml"), "edited by hand\n");
    writeFileSync(join(dir, "stray.txt"), "x");
    const second = await o.commit("group_vars.yml", "x: 1\n", "second");
    const c = await syncCheckout(o.url, "main", dir);
    expect(c.commit).toBe(second);
    expect(existsSync(join(dir, "stray.txt"))).toBe(false);
    expect((await run("git", ["-C", dir, "status", "--porcelain"])).stdout).toBe("");
  });

  it("names the branch and the address, without its password, when the fetch fails", async () => {
    const o = await origin();
    await o.commit("a", "a", "a");
    const dir = join(mkdtempSync(join(tmpdir(), "bgpmesh-wc-")), "checkout");
    await expect(syncCheckout(o.url, "nope", dir)).rejects.toThrow(/cannot fetch branch 'nope' of file:\/\//);
    const secretUrl = "https://ops:s3cr3t-T0KEN@127.0.0.1:9/cfg.git";
    const err = await syncCheckout(secretUrl, "main", dir).catch((e: Error) => e);
    expect(String(err)).toContain("https://ops:***@127.0.0.1:9/cfg.git");
    expect(String(err)).not.toContain("s3cr3t-T0KEN");
  });

  it("masks only the password part of an address", () => {
    expect(shownUrl("https://user:tok@git.example/x.git")).toBe("https://user:***@git.example/x.git");
    expect(shownUrl("https://git.example/x.git")).toBe("https://git.example/x.git");
    expect(shownUrl("git@git.example:x.git")).toBe("git@git.example:x.git");
  });
});
