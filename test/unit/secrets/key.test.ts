import { afterEach, describe, expect, it } from "vitest";
import { secretsKey, SecretsKeyError, useSecretsKeyFile } from "../../../src/secrets/key.js";
import { AGE_TESTS, KEY, OTHER_KEY, writeKeyFile, writeTree } from "./helpers.js";

const problem = (run: () => unknown) => {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsKeyError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("secrets key", AGE_TESTS, () => {
  afterEach(() => useSecretsKeyFile(undefined));

  it("is undefined when nothing is configured, so plain inventories need no key", () => {
    expect(secretsKey({})).toBeUndefined();
  });

  it("comes from BGPMESH_SECRETS_KEY, or the first line of BGPMESH_SECRETS_KEY_FILE", async () => {
    expect(secretsKey({ BGPMESH_SECRETS_KEY: KEY })).toEqual({ value: KEY, from: "BGPMESH_SECRETS_KEY" });
    const file = await writeKeyFile(await writeTree({}), `${KEY}\nsecond line ignored`);
    expect(secretsKey({ BGPMESH_SECRETS_KEY_FILE: file })).toEqual({ value: KEY, from: `key file ${file} (BGPMESH_SECRETS_KEY_FILE)` });
  });

  it("--secrets-key-file beats the environment", async () => {
    const file = await writeKeyFile(await writeTree({}), OTHER_KEY);
    useSecretsKeyFile(file);
    expect(secretsKey({ BGPMESH_SECRETS_KEY: KEY })?.value).toBe(OTHER_KEY);
  });

  it("refuses a key file group or others can read, as ssh does, without showing the key", async () => {
    const file = await writeKeyFile(await writeTree({}), KEY, 0o640);
    const msg = problem(() => secretsKey({ BGPMESH_SECRETS_KEY_FILE: file }));
    expect(msg).toBe(`key file ${file} (BGPMESH_SECRETS_KEY_FILE): permissions 0640 are too open (group or others may use it): chmod 600 ${file}`);
    expect(msg).not.toContain(KEY);
  });

  it("says what is wrong with a missing or empty key file, an empty variable, or both variables set", async () => {
    const dir = await writeTree({});
    expect(problem(() => secretsKey({ BGPMESH_SECRETS_KEY_FILE: `${dir}/nope` }))).toBe(`key file ${dir}/nope (BGPMESH_SECRETS_KEY_FILE): no such file`);
    const empty = await writeKeyFile(dir, "", 0o600, "empty");
    expect(problem(() => secretsKey({ BGPMESH_SECRETS_KEY_FILE: empty }))).toMatch(/the first line is empty$/);
    expect(problem(() => secretsKey({ BGPMESH_SECRETS_KEY: "" }))).toBe("BGPMESH_SECRETS_KEY is set but empty");
    const file = await writeKeyFile(dir);
    expect(problem(() => secretsKey({ BGPMESH_SECRETS_KEY: KEY, BGPMESH_SECRETS_KEY_FILE: file }))).toMatch(/both .* are set: set only one/);
  });
});
