import { inspect } from "node:util";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import {
  collectSecrets,
  loadInventory,
  parseExtraVars,
  redact,
  REDACTED,
  Redactor,
  resolveHostVars,
  Secret,
  varValues,
} from "../../../src/inventory/index.js";
import { BASIC, BASIC_ENV, inventoryError, writeTree } from "./helpers.js";

const LITERAL = "hunter2-LEAK";

describe("Secret", () => {
  it("prints as the marker every way it can be turned into text, and reveals on request", () => {
    const s = new Secret(LITERAL, "!secret");
    for (const shown of [s.toString(), String(s), `${s}`, s + "", JSON.stringify({ s }), inspect({ s }), inspect(s), stringify({ s })]) {
      expect(shown).toContain(REDACTED);
      expect(shown).not.toContain(LITERAL);
    }
    expect(Object.keys(s)).toEqual(["source"]);
    expect(s.reveal()).toBe(LITERAL);
  });

  it("collectSecrets finds secrets nested in maps, lists and objects", () => {
    const a = new Secret("a-value", "x");
    const b = new Secret("b-value", "y");
    const vars = new Map([["x", { value: { list: [1, a, { deep: b }] }, origin: {} }]]);
    expect(collectSecrets(vars)).toEqual([a, b]);
  });

  it("Redactor scrubs every occurrence, longest secret first, and ignores empty ones", () => {
    const r = new Redactor([new Secret("pass", "a"), new Secret("password1", "b"), new Secret("", "c")]);
    expect(r.redact("login password1 then pass, pass")).toBe(`login ${REDACTED} then ${REDACTED}, ${REDACTED}`);
    expect(redact("no secrets here", [new Secret("", "c")])).toBe("no secrets here");
  });
});

describe("secret tags", () => {
  it("!secret, !env and !file load as Secrets with the right values", async () => {
    const inv = await loadInventory(BASIC, { env: BASIC_ENV });
    const node2 = varValues(resolveHostVars(inv, "node2"));
    for (const name of ["tinc_key", "bgp_password", "etcd_token"]) expect(node2[name]).toBeInstanceOf(Secret);
    expect((node2["tinc_key"] as Secret).reveal()).toBe("s3cr3t-INLINE-value");
    expect((node2["bgp_password"] as Secret).reveal()).toBe("bgp-ENV-SECRET-456");
    expect((node2["etcd_token"] as Secret).reveal()).toBe("tok-FILE-SECRET-123"); // trailing newline trimmed
    expect((node2["bgp_password"] as Secret).source).toBe("!env BGPMESH_TEST_BGP_PASSWORD");
    expect(JSON.stringify(node2)).not.toMatch(/s3cr3t|ENV-SECRET|FILE-SECRET/);
    expect(JSON.stringify(node2)).toContain(`"tinc_key":"${REDACTED}"`);
  });

  it("secrets work inside lists and maps and in -e values", async () => {
    const dir = await writeTree({ "inventory.yml": "all:\n  hosts:\n    h1:\n      users: [{name: a, pw: !secret x1-LEAK}]\n" });
    const inv = await loadInventory(`${dir}/inventory.yml`, { extraVars: parseExtraVars(["token=!env TOK"], { env: { TOK: "t-LEAK" } }) });
    const vars = resolveHostVars(inv, "h1").vars;
    expect(collectSecrets(vars).map((s) => s.reveal())).toEqual(["x1-LEAK", "t-LEAK"]);
  });
});

describe("no error message contains a secret's value", () => {
  const cases: Record<string, string> = {
    "wrong type": `all:\n  hosts:\n    h1:\n      ansible_port: !secret ${LITERAL}\n`,
    "syntax error after a secret": `all:\n  vars:\n    pw: !secret ${LITERAL}\n  hosts:\n    h1:\n   x: 1\n`,
    "unclosed quote in a secret": `all:\n  vars:\n    pw: !secret "${LITERAL}\n  hosts:\n    h1:\n`,
    "secret as a key": `all:\n  hosts:\n    h1:\n      !secret ${LITERAL}: 1\n`,
    "duplicate key next to a secret": `all:\n  vars:\n    pw: !secret ${LITERAL}\n    pw: !secret ${LITERAL}\n  hosts:\n    h1:\n`,
    "unknown group key next to a secret": `all:\n  vars:\n    pw: !secret ${LITERAL}\n  bad: 1\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, async () => {
      const dir = await writeTree({ "inventory.yml": text });
      const err = await inventoryError(() => loadInventory(`${dir}/inventory.yml`), dir);
      expect(err.shown).toMatch(/^inventory\.yml:\d+:\d+: /);
      expect(err.message).not.toContain(LITERAL);
      expect(err.stack ?? "").not.toContain(LITERAL);
    });
  }

  it("wrong type shows the marker where the value would be", async () => {
    const dir = await writeTree({ "inventory.yml": `all:\n  hosts:\n    h1:\n      ansible_port: !secret ${LITERAL}\n` });
    const err = await inventoryError(() => loadInventory(`${dir}/inventory.yml`), dir);
    expect(err.shown).toBe(`inventory.yml:4:29: all.hosts.h1.ansible_port: expected an integer from 1 to 65535, got ${REDACTED}`);
  });

  it("a bad -e value carrying a secret", async () => {
    const err = await inventoryError(() => parseExtraVars([`ansible_host=!secret ${LITERAL}`]));
    expect(err.message).toBe(`command line -e #1: ansible_host: expected a host name or IP address, got ${REDACTED}`);
  });
});
