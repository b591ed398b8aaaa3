import { existsSync } from "node:fs";
import { chmod, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { secretsCommand } from "../../../src/commands/secrets.js";
import { loadInventory, resolveHostVars, Secret, varValues } from "../../../src/inventory/index.js";
import { decryptText } from "../../../src/secrets/age.js";
import { AGE_TESTS, KEY, meshInventory, OTHER_KEY, writeEncrypted, writeKeyFile, writeTree } from "./helpers.js";

const ENC = "group_vars/all/secrets.yml.age";

/** Runs `secrets ...` with its own environment; the editor is EDITOR=script. */
async function run(env: NodeJS.ProcessEnv, args: string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const cmd = secretsCommand({ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: async () => stdin, env });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}

/**
 * An editor script: records the file it was given in `seen`, then replaces the text with `text`
 * (or, without text, leaves the file as it is).
 */
async function editor(dir: string, text?: string): Promise<{ env: NodeJS.ProcessEnv; seen: () => Promise<string> }> {
  const script = join(dir, "fake-editor.sh");
  const seenFile = join(dir, "seen");
  const write = text === undefined ? "" : `cat > "$1" <<'TEXT'\n${text}TEXT\n`;
  await writeFile(script, `#!/bin/sh\nprintf '%s' "$1" > '${seenFile}'\n[ -z "$BGPMESH_SECRETS_KEY" ] || exit 9\n${write}`, { mode: 0o755 });
  return { env: { PATH: process.env["PATH"], BGPMESH_SECRETS_KEY: KEY, EDITOR: script }, seen: () => readFile(seenFile, "utf8") };
}

const decrypted = async (file: string, key = KEY) => decryptText(await readFile(file), key);

describe("secrets command", AGE_TESTS, () => {
  it("create --stdin writes an encrypted file the inventory loads, and view prints it", async () => {
    const dir = await meshInventory();
    const env = { BGPMESH_SECRETS_KEY: KEY };
    const file = join(dir, ENC);
    expect(await run(env, ["create", file, "--stdin"], "bgp_password: hunter2-LEAK\n")).toMatchObject({ exitCode: undefined, stdout: "" });
    expect(await readFile(file, "utf8")).not.toContain("hunter2");
    const inv = await loadInventory(join(dir, "inventory.yml"), { env });
    expect((varValues(resolveHostVars(inv, "node1"))["bgp_password"] as Secret).reveal()).toBe("hunter2-LEAK");
    expect(await run(env, ["view", file])).toMatchObject({ stdout: "bgp_password: hunter2-LEAK\n", exitCode: undefined });
    const again = await run(env, ["create", file, "--stdin"], "x: 1\n");
    expect(again).toMatchObject({ exitCode: 1, stderr: `${file} exists: use \`secrets edit ${file}\`\n` });
  });

  it("create opens the editor on a template and removes the plaintext afterwards", async () => {
    const dir = await writeTree({});
    const { env, seen } = await editor(dir, "tinc_key: t-LEAK\n");
    const file = join(dir, "inv/group_vars/all/secrets.yml.age");
    expect(await run(env, ["create", file])).toMatchObject({ exitCode: undefined });
    expect(await decrypted(file)).toBe("tinc_key: t-LEAK\n");
    const edited = await seen();
    expect(edited).toMatch(/\/bgpmesh-secrets-[^/]+\/secrets\.yml$/);
    expect(existsSync(join(edited, ".."))).toBe(false);
  });

  it("edit: the editor gets a 0600 file in a 0700 folder, the result is re-encrypted with the same key, mode kept, nothing left behind", async () => {
    const dir = await meshInventory();
    const file = await writeEncrypted(dir, ENC, "bgp_password: old-LEAK\n");
    await chmod(file, 0o640);
    const script = join(dir, "check-editor.sh");
    // Records the modes the editor saw, then rewrites the file.
    await writeFile(
      script,
      `#!/bin/sh\nstat -c '%a' "$(dirname "$1")" "$1" | tr '\\n' ' ' > '${dir}/modes'\nprintf '%s' "$1" > '${dir}/seen'\nprintf 'bgp_password: new-LEAK\\n' > "$1"\n`,
      { mode: 0o755 },
    );
    const env = { PATH: process.env["PATH"], BGPMESH_SECRETS_KEY: KEY, VISUAL: script, EDITOR: "false" };
    expect(await run(env, ["edit", file])).toMatchObject({ exitCode: undefined, stderr: `saved ${file} (encrypted with the key from BGPMESH_SECRETS_KEY)\n` });
    expect((await readFile(join(dir, "modes"), "utf8")).trim()).toBe("700 600");
    expect(await decrypted(file)).toBe("bgp_password: new-LEAK\n");
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readFile(file, "utf8")).not.toContain("LEAK");
    const edited = await readFile(join(dir, "seen"), "utf8");
    expect(existsSync(join(edited, ".."))).toBe(false);
  });

  it("edit without changes leaves the file byte for byte as it was", async () => {
    const dir = await meshInventory();
    const file = await writeEncrypted(dir, ENC, "a: 1\n");
    const before = await readFile(file, "utf8");
    const { env } = await editor(dir);
    expect(await run(env, ["edit", file])).toMatchObject({ exitCode: undefined, stderr: `no changes: ${file} is unchanged\n` });
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("edit with invalid YAML: the encrypted file is unchanged, exit 1, and the message says where the text is kept", async () => {
    const dir = await meshInventory();
    const file = await writeEncrypted(dir, ENC, "bgp_password: old-LEAK\n");
    const before = await readFile(file, "utf8");
    const { env, seen } = await editor(dir, "bgp_password: new-LEAK\nbroken: [unclosed\n");
    const r = await run(env, ["edit", file]);
    const kept = await seen();
    onTestFinished(() => rm(join(kept, ".."), { recursive: true, force: true }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${file}:\\d+:\\d+: YAML syntax error: .* \\(line in the decrypted text\\)\\n`));
    expect(r.stderr).toContain(`${file} is unchanged. Your edited text is kept in ${kept} (only you can read it)`);
    expect(r.stderr).not.toContain("LEAK");
    expect(await readFile(kept, "utf8")).toContain("new-LEAK");
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("edit with a failing editor changes nothing and removes the plaintext", async () => {
    const dir = await meshInventory();
    const file = await writeEncrypted(dir, ENC, "a: 1\n");
    const before = await readFile(file, "utf8");
    const script = join(dir, "fail.sh");
    await writeFile(script, `#!/bin/sh\nprintf '%s' "$1" > '${dir}/seen'\necho 'b: 2' > "$1"\nexit 3\n`, { mode: 0o755 });
    const r = await run({ PATH: process.env["PATH"], BGPMESH_SECRETS_KEY: KEY, EDITOR: script }, ["edit", file]);
    expect(r).toMatchObject({ exitCode: 1, stderr: `the editor (${script}) exited with status 3: ${file} is unchanged\n` });
    expect(await readFile(file, "utf8")).toBe(before);
    expect(existsSync(join(await readFile(join(dir, "seen"), "utf8"), ".."))).toBe(false);
  });

  it("encrypt writes FILE.age and keeps the plain file unless --remove-plain; decrypt --out writes a 0600 file", async () => {
    const dir = await meshInventory({ "group_vars/all/secrets.yml": "bgp_password: hunter2-LEAK\n", "group_vars/mesh.yml": "z: 1\n" });
    const env = { BGPMESH_SECRETS_KEY: KEY };
    const plain = join(dir, "group_vars/all/secrets.yml");
    const kept = await run(env, ["encrypt", plain]);
    expect(kept.stderr).toMatch(/is still there in plain text/);
    expect(await decrypted(`${plain}.age`)).toBe("bgp_password: hunter2-LEAK\n");
    expect(await readFile(`${plain}.age`, "utf8")).not.toContain("hunter2");
    await rm(`${plain}.age`);
    expect(await run(env, ["encrypt", plain, "--remove-plain"])).toMatchObject({ exitCode: undefined });
    expect(existsSync(plain)).toBe(false);

    const out = join(dir, "plain-copy.yml");
    expect(await run(env, ["decrypt", `${plain}.age`, "--out", out])).toMatchObject({ exitCode: undefined });
    expect(await readFile(out, "utf8")).toBe("bgp_password: hunter2-LEAK\n");
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect(await run(env, ["decrypt", `${plain}.age`, "--out", out])).toMatchObject({ exitCode: 1, stderr: `${out} exists: not overwritten\n` });
  });

  it("encrypt refuses text the inventory would not load, naming the line and no value", async () => {
    const dir = await writeTree({ "secrets.yml": "ansible_user: admin-LEAK\n" });
    const r = await run({ BGPMESH_SECRETS_KEY: KEY }, ["encrypt", join(dir, "secrets.yml")]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/secrets\.yml:1:1: ansible_user: connection variables cannot be in an encrypted file: .*plain vars file\n$/);
    expect(r.stderr).not.toContain("LEAK");
    expect(existsSync(join(dir, "secrets.yml.age"))).toBe(false);
  });

  it("rekey encrypts every file with the new key, or none of them if one does not open", async () => {
    const dir = await meshInventory();
    const a = await writeEncrypted(dir, "group_vars/all/a.yml.age", "a: 1\n");
    const b = await writeEncrypted(dir, "group_vars/mesh/b.yml.age", "b: 2\n");
    const wrong = await writeEncrypted(dir, "group_vars/mesh/c.yml.age", "c: 3\n", OTHER_KEY);
    const before = await readFile(a, "utf8");
    const failed = await run({ BGPMESH_SECRETS_KEY: KEY, BGPMESH_SECRETS_NEW_KEY: OTHER_KEY }, ["rekey", a, wrong]);
    expect(failed).toMatchObject({ exitCode: 1 });
    expect(failed.stderr).toMatch(/c\.yml\.age: cannot decrypt with the key from BGPMESH_SECRETS_KEY: wrong key/);
    expect(await readFile(a, "utf8")).toBe(before);

    const newKey = await writeKeyFile(dir, OTHER_KEY);
    const ok = await run({ BGPMESH_SECRETS_KEY: KEY }, ["rekey", a, b, "--new-key-file", newKey]);
    expect(ok).toMatchObject({ exitCode: undefined });
    expect(ok.stderr).toMatch(/^rekeyed 2 file\(s\) to the key from key file /);
    expect([await decrypted(a, OTHER_KEY), await decrypted(b, OTHER_KEY)]).toEqual(["a: 1\n", "b: 2\n"]);
    expect(await run({ BGPMESH_SECRETS_KEY: KEY }, ["view", a])).toMatchObject({ exitCode: 1 });
  });

  it("says how to give a key when there is none, and never prints a key", async () => {
    const dir = await meshInventory();
    const file = await writeEncrypted(dir, ENC, "a: 1\n");
    expect(await run({}, ["view", file])).toMatchObject({
      exitCode: 1,
      stderr: "no key: set BGPMESH_SECRETS_KEY or BGPMESH_SECRETS_KEY_FILE (or --secrets-key-file)\n",
    });
    const r = await run({ BGPMESH_SECRETS_KEY: OTHER_KEY }, ["view", file]);
    expect(r.stderr).toBe(`${file}: cannot decrypt with the key from BGPMESH_SECRETS_KEY: wrong key (or not an age file encrypted with a passphrase)\n`);
    expect(r.stderr).not.toContain(OTHER_KEY);
  });
});
