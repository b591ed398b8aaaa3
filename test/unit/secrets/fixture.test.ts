import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { armor } from "age-encryption";
import { loadInventory, resolveHostVars, Secret, varValues } from "../../../src/inventory/index.js";
import { decryptText } from "../../../src/secrets/age.js";
import { AGE_TESTS } from "./helpers.js";

const FIXTURE = "test/fixtures/secrets/basic";
const FIXTURE_KEY = "fixture-key-NOT-A-SECRET";

// A file written once and kept: a library upgrade that could no longer read existing files fails here.
describe("the committed encrypted fixture", AGE_TESTS, () => {
  it("loads with its key, values as Secrets", async () => {
    const inv = await loadInventory(`${FIXTURE}/inventory.yml`, { env: { BGPMESH_SECRETS_KEY: FIXTURE_KEY } });
    const v = varValues(resolveHostVars(inv, "node2"));
    expect((v["bgp_password"] as Secret).reveal()).toBe("fixture-bgp-PASSWORD-1");
    expect((v["etcd_token"] as Secret).reveal()).toBe("fixture-etcd-TOKEN-2");
    expect(v["ansible_user"]).toBe("admin");
  });

  it("decrypts from age's binary format too (what `age -p -o FILE` writes without -a)", async () => {
    const binary = armor.decode(await readFile(`${FIXTURE}/group_vars/all/secrets.yml.age`, "utf8"));
    expect(await decryptText(binary, FIXTURE_KEY)).toMatch(/^# the fixture's secrets\nbgp_password: fixture-bgp-PASSWORD-1\n/);
  });
});
