import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { inventoryCommand } from "../../../src/commands/inventory.js";
import {
  collectSecrets,
  hostVarsYaml,
  inventoryList,
  loadInventory,
  REDACTED,
  Redactor,
  resolveHostVars,
  Secret,
  varValues,
} from "../../../src/inventory/index.js";
import { useSecretsKeyFile } from "../../../src/secrets/key.js";
import { AGE_TESTS, inventoryError, KEY, meshInventory, OTHER_KEY, writeEncrypted, writeKeyFile } from "./helpers.js";

const SECRETS = `# encrypted vars
bgp_password: hunter2-LEAK
bgp_as_secret: 65001
users:
  - name: alice-LEAK
    pw: pw-LEAK
flags: { enabled: true, nothing: null }
`;
const ENC = "group_vars/all/secrets.yml.age";

async function withSecrets(files: Record<string, string> = {}, plain = SECRETS) {
  const dir = await meshInventory(files);
  await writeEncrypted(dir, ENC, plain);
  return dir;
}

const reveal = (v: unknown) => (v as Secret).reveal();

describe("encrypted vars files", AGE_TESTS, () => {
  afterEach(() => {
    useSecretsKeyFile(undefined);
    vi.unstubAllEnvs();
  });

  it("load with the key from BGPMESH_SECRETS_KEY, every string and number a Secret, maps and lists kept", async () => {
    const dir = await withSecrets();
    const inv = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } });
    expect(inv.sources).toContain(`${dir}/${ENC}`);
    const v = varValues(resolveHostVars(inv, "node1"));
    expect(v["bgp_password"]).toBeInstanceOf(Secret);
    expect(reveal(v["bgp_password"])).toBe("hunter2-LEAK");
    expect((v["bgp_password"] as Secret).source).toBe(`encrypted ${dir}/${ENC}`);
    expect(reveal(v["bgp_as_secret"])).toBe("65001");
    const users = v["users"] as Array<Record<string, unknown>>;
    expect(users.map((u) => [reveal(u["name"]), reveal(u["pw"])])).toEqual([["alice-LEAK", "pw-LEAK"]]);
    // One bit is no secret, and a Secret would make `false` truthy in a template.
    expect(v["flags"]).toEqual({ enabled: true, nothing: null });
    expect(collectSecrets(v)).toHaveLength(4);
  });

  it("keep numbers as written: a PIN is not octal, a long token not a rounded float", async () => {
    const dir = await withSecrets({}, "pin: 0123\ntoken: 12345678901234567890123\nsci: 1e3\n");
    const v = varValues(resolveHostVars(await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } }), "node1"));
    expect([reveal(v["pin"]), reveal(v["token"]), reveal(v["sci"])]).toEqual(["0123", "12345678901234567890123", "1e3"]);
  });

  it("load with the key from BGPMESH_SECRETS_KEY_FILE and from --secrets-key-file", async () => {
    const dir = await withSecrets();
    const keyFile = await writeKeyFile(dir);
    const inv = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY_FILE: keyFile } });
    expect(reveal(varValues(resolveHostVars(inv, "node2"))["bgp_password"])).toBe("hunter2-LEAK");
    useSecretsKeyFile(keyFile);
    const again = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: OTHER_KEY } });
    expect(reveal(varValues(resolveHostVars(again, "node2"))["bgp_password"])).toBe("hunter2-LEAK");
  });

  it("show masked in --host and --list output, never the values", async () => {
    const dir = await withSecrets();
    const inv = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } });
    const yaml = hostVarsYaml(resolveHostVars(inv, "node1"));
    expect(yaml).toContain(`# from ${dir}/${ENC}:2:1 (group all)\nbgp_password: ${REDACTED}\n`);
    expect(parse(yaml)).toMatchObject({ bgp_password: REDACTED, bgp_as_secret: REDACTED, users: [{ name: REDACTED, pw: REDACTED }] });
    const list = JSON.stringify(inventoryList(inv));
    for (const shown of [yaml, list]) expect(shown).not.toMatch(/LEAK|65001/);
    // What the engine does with command output and error text.
    const redactor = new Redactor(collectSecrets(varValues(resolveHostVars(inv, "node1"))));
    expect(redactor.redact("bird: password hunter2-LEAK rejected by 65001")).toBe(`bird: password ${REDACTED} rejected by ${REDACTED}`);
  });

  it("the inventory command prints the masked form, with the key given by --secrets-key-file", async () => {
    const dir = await withSecrets();
    const keyFile = await writeKeyFile(dir);
    vi.stubEnv("BGPMESH_SECRETS_KEY", undefined);
    vi.stubEnv("BGPMESH_SECRETS_KEY_FILE", undefined);
    let stdout = "";
    let stderr = "";
    const cmd = inventoryCommand({ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    await cmd.parseAsync(["-i", `${dir}/inventory.yml`, "--host", "node1", "--secrets-key-file", keyFile], { from: "user" });
    expect(stderr).toBe("");
    expect(parse(stdout)).toMatchObject({ bgp_password: REDACTED, users: [{ name: REDACTED, pw: REDACTED }], level: "inline-all" });
    expect(stdout).not.toMatch(/LEAK|65001/);
  });

  it("sit at the level of a plain file in the same place: after the single file, in name order in the folder, below children and hosts", async () => {
    const dir = await withSecrets(
      {
        "group_vars/all.yml": "a: all-single\nb: all-single\nc: all-single\nd: all-single\n",
        "group_vars/all/00-plain.yml": "b: all-00\n",
        "group_vars/all/zz-plain.yml": "c: all-zz\n",
        "group_vars/mesh.yml": "d: mesh\n",
        "host_vars/node2.yml": "a: node2-host\n",
      },
      "a: enc-all\nb: enc-all\nc: enc-all\nd: enc-all\nlevel: enc-all\n",
    );
    await writeEncrypted(dir, "host_vars/node1/secrets.yml.age", "e: enc-node1\n");
    const inv = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } });
    const shown = (host: string) => Object.fromEntries(Object.entries(varValues(resolveHostVars(inv, host))).map(([k, v]) => [k, v instanceof Secret ? `secret:${v.reveal()}` : v]));
    expect(shown("node1")).toEqual({ a: "secret:enc-all", b: "secret:enc-all", c: "all-zz", d: "mesh", e: "secret:enc-node1", level: "secret:enc-all" });
    expect(shown("node2")).toMatchObject({ a: "node2-host" });
  });

  it("a single file may be encrypted too: group_vars/mesh.yml.age", async () => {
    const dir = await meshInventory({ "group_vars/mesh.yml": "x: plain\n" });
    await writeEncrypted(dir, "group_vars/mesh.yml.age", "x: enc\n");
    const inv = await loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } });
    expect(reveal(varValues(resolveHostVars(inv, "node1"))["x"])).toBe("enc");
  });

  it("without a key: an error naming the file and where a key can come from", async () => {
    const dir = await withSecrets();
    const err = await inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env: {} }), dir);
    expect(err.shown).toBe(`${ENC}: encrypted, and no key is given: set BGPMESH_SECRETS_KEY or BGPMESH_SECRETS_KEY_FILE (or --secrets-key-file)`);
  });

  it("with a wrong key, or a key file others can read: an error naming the file, never the key", async () => {
    const dir = await withSecrets();
    const wrong = await inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: OTHER_KEY } }), dir);
    expect(wrong.shown).toBe(`${ENC}: cannot decrypt with the key from BGPMESH_SECRETS_KEY: wrong key (or not an age file encrypted with a passphrase)`);
    const open = await writeKeyFile(dir, KEY, 0o644);
    const loose = await inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY_FILE: open } }), dir);
    expect(loose.shown).toBe(`${ENC}: encrypted, and its key cannot be read: key file secrets-key (BGPMESH_SECRETS_KEY_FILE): permissions 0644 are too open (group or others may use it): chmod 600 secrets-key`);
    for (const e of [wrong, loose]) expect(e.message).not.toMatch(new RegExp(`${KEY}|${OTHER_KEY}`));
  });

  it("a plain file named .age is not decrypted as YAML", async () => {
    const dir = await meshInventory({ [ENC]: "bgp_password: oops-LEAK\n" });
    const err = await inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } }), dir);
    expect(err.shown).toBe(`${ENC}: cannot decrypt with the key from BGPMESH_SECRETS_KEY: not an age encrypted file (expected -----BEGIN AGE ENCRYPTED FILE-----)`);
  });

  it.each([
    ["a YAML syntax error", 'a: ok-LEAK\nb: "sk\\qLEAK"\n', /^group_vars\/all\/secrets\.yml\.age:2:\d+: YAML syntax error: Invalid escape sequence \(not shown\) \(line in the decrypted text\)$/],
    ["a duplicate key", "a: one-LEAK\nb: x\na: two-LEAK\n", /^group_vars\/all\/secrets\.yml\.age:3:1: duplicate key 'a': .* \(line in the decrypted text\)$/],
    ["a bad variable name", "a: one-LEAK\n9lives: cat-LEAK\n", /^group_vars\/all\/secrets\.yml\.age:2:1: 9lives: invalid variable name .* \(line in the decrypted text\)$/],
    ["a connection variable", "ansible_port: 22222\n", /^group_vars\/all\/secrets\.yml\.age:1:1: ansible_port: connection variables cannot be in an encrypted file: .* \(line in the decrypted text\)$/],
    ["not a map", "just-a-LEAK-string\n", /^group_vars\/all\/secrets\.yml\.age:1:1: expected a map of variable: value \(line in the decrypted text\)$/],
  ])("%s inside: file:line in the decrypted text, no value quoted", async (_, plain, expected) => {
    const dir = await withSecrets({}, plain);
    const err = await inventoryError(() => loadInventory(`${dir}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: KEY } }), dir);
    expect(err.shown).toMatch(expected);
    expect(err.message).not.toMatch(/LEAK|22222|sk\\q/);
  });

  it("the encrypted file holds no plaintext", async () => {
    const dir = await withSecrets();
    const text = await readFile(`${dir}/${ENC}`, "utf8");
    for (const word of ["hunter2", "LEAK", "65001", "bgp_password", "users"]) expect(text).not.toContain(word);
  });
});
