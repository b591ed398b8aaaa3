import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyForLog, nameFromKey, ownRecord, parseRecord, parseSnapshot, MAX_RECORD_BYTES } from "../../../src/agent/record.js";
import { config, recordFields, rsaPublicKey, sharedKey } from "./helpers.js";

const KEY = "/peers/node2";
const json = (overrides: Record<string, unknown> = {}) => JSON.stringify(recordFields("node2", 2, overrides));

/** parseRecord's reason for a record that must be refused; checks the reason is safe to log. */
function refused(value: string, key = KEY, mustNotEcho: string[] = []): string {
  const r = parseRecord(key, value);
  if (r.ok) throw new Error("expected the record to be refused");
  expect(r.reason).not.toMatch(/[\r\n]/);
  expect(r.reason.length).toBeLessThan(200);
  for (const s of mustNotEcho) expect(r.reason).not.toContain(s);
  return r.reason;
}

describe("a valid record", () => {
  it("parses, with every field as sent", () => {
    const r = parseRecord(KEY, json({ prefixes: ["198.51.100.0/26", "203.0.113.0/24"], endpoint: { address: "node2.example.net", port: 1655 } }));
    expect(r).toEqual({
      ok: true,
      record: {
        name: "node2",
        meshAddress: "10.0.0.2",
        routerId: "10.0.0.2",
        tincPublicKey: sharedKey(),
        endpoint: { address: "node2.example.net", port: 1655 },
        prefixes: ["198.51.100.0/26", "203.0.113.0/24"],
        version: 1,
      },
    });
  });

  it("accepts names tinc accepts, up to 64 characters, and host names as endpoints", () => {
    for (const name of ["a", "Node_2", "x".repeat(64), "web_1_example_com"]) {
      expect(parseRecord(`/peers/${name}`, JSON.stringify(recordFields(name, 2))).ok).toBe(true);
    }
    for (const address of ["node2", "tinc-2.example.com", "a.b.c", "203.0.113.9"]) {
      expect(parseRecord(KEY, json({ endpoint: { address, port: 655 } })).ok).toBe(true);
    }
  });

  it("gets its key re-encoded as OpenSSL writes it, so one key always renders the same bytes", () => {
    // Same key, wrapped at 76 columns and without the final newline: still the canonical PEM.
    const body = sharedKey().split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const rewrapped = `-----BEGIN RSA PUBLIC KEY-----\n${body.match(/.{1,76}/g)!.join("\n")}\n-----END RSA PUBLIC KEY-----`;
    const r = parseRecord(KEY, json({ tincPublicKey: rewrapped }));
    expect(r.ok && r.record.tincPublicKey).toBe(sharedKey());
  });
});

describe("nothing can be smuggled into a rendered file", () => {
  it.each([
    ["a newline in the endpoint address", { endpoint: { address: "x\nConnectTo = evil", port: 655 } }],
    ["a tinc directive as the endpoint address", { endpoint: { address: "Address = x\nConnectTo = evil", port: 655 } }],
    ["a space and = in the endpoint", { endpoint: { address: "x = y", port: 655 } }],
    ["a newline after the mesh address", { meshAddress: "10.0.0.2\n" }],
    ["a BIRD statement after the mesh address", { meshAddress: "10.0.0.2; }\nprotocol bgp evil { neighbor 6.6.6.6; }" }],
    ["a newline in the router id", { routerId: "10.0.0.2\nx" }],
    ["a port as text", { endpoint: { address: "192.0.2.2", port: "655\nConnectTo = evil" } }],
    ["a newline in a prefix", { prefixes: ["10.1.0.0/16\nx"] }],
  ])("%s", (_what, overrides) => {
    refused(json(overrides), KEY, ["evil", "ConnectTo", "\n"]);
  });

  it("refuses a name with a newline, even when the key matches", () => {
    const name = "node2\nConnectTo = evil";
    expect(refused(JSON.stringify(recordFields(name, 2)), `/peers/${name}`, ["evil"])).toBe("key is not /peers/<name> with a valid tinc name");
    expect(refused(JSON.stringify(recordFields(name, 2)), KEY, ["evil"])).toMatch(/^name: must be 1 to 64 letters/);
  });

  it("refuses a path as the name, in the key or in the record", () => {
    const name = "../../etc/passwd";
    expect(refused(JSON.stringify(recordFields(name, 2)), `/peers/${name}`, ["passwd"])).toBe("key is not /peers/<name> with a valid tinc name");
    expect(refused(JSON.stringify(recordFields(name, 2)), KEY, ["passwd"])).toMatch(/^name: /);
    for (const bad of ["", "a.b", "a-b", "a b", "x".repeat(65), "node2/..", "ünïcode"]) {
      expect(parseRecord(`/peers/${bad}`, JSON.stringify(recordFields(bad, 2))).ok).toBe(false);
    }
  });

  it("refuses a key whose name differs from the record's", () => {
    expect(refused(JSON.stringify(recordFields("node3", 3)), KEY)).toBe("name differs from the name in the key");
    expect(refused(json(), "/peers/Node2")).toBe("name differs from the name in the key");
    expect(refused(json(), "/other/node2")).toBe("key is not /peers/<name> with a valid tinc name");
    expect(refused(json(), "/peers/node2/extra")).toBe("key is not /peers/<name> with a valid tinc name");
  });

  it("refuses anything after the key's PEM block", () => {
    const key = `${sharedKey()}ConnectTo = evil\n`;
    expect(refused(json({ tincPublicKey: key }), KEY, ["evil"])).toBe('tincPublicKey: must be a PEM "BEGIN RSA PUBLIC KEY" (PKCS#1) block');
    expect(refused(json({ tincPublicKey: `Address = 6.6.6.6\n${sharedKey()}` }), KEY, ["6.6.6.6"])).toMatch(/^tincPublicKey: /);
    expect(refused(json({ tincPublicKey: sharedKey().replace(/\n/g, "\r\n") }))).toMatch(/^tincPublicKey: /);
  });

  it("refuses unknown fields (no free text rides along) without naming them", () => {
    expect(refused(json({ comment: "hi" }), KEY, ["comment"])).toBe("(top level): has an unknown key");
    expect(refused(json({ endpoint: { address: "192.0.2.2", port: 655, via: "x" } }), KEY, ["via"])).toBe("endpoint: has an unknown key");
  });
});

describe("the public key", () => {
  it("refuses a 1024-bit RSA key", () => {
    expect(refused(json({ tincPublicKey: rsaPublicKey(1024) }))).toBe("tincPublicKey: must be an RSA key of 2048 to 8192 bits, not 1024");
  });

  it("refuses a non-RSA key, even dressed up as one", () => {
    const ed = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(refused(json({ tincPublicKey: ed }))).toMatch(/^tincPublicKey: must be a PEM/);
    const dressed = ed.replace(/PUBLIC KEY/g, "RSA PUBLIC KEY");
    expect(refused(json({ tincPublicKey: dressed }))).toBe("tincPublicKey: does not parse as an RSA public key");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(refused(json({ tincPublicKey: ec.replace(/PUBLIC KEY/g, "RSA PUBLIC KEY") }))).toBe("tincPublicKey: does not parse as an RSA public key");
  });

  it("refuses an RSA key in SPKI form (tinc 1.0 wants PKCS#1) and bogus base64", () => {
    const spki = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(refused(json({ tincPublicKey: spki }))).toMatch(/^tincPublicKey: must be a PEM/);
    const bogus = "-----BEGIN RSA PUBLIC KEY-----\nAAAAAAAAAAAA\n-----END RSA PUBLIC KEY-----\n";
    expect(refused(json({ tincPublicKey: bogus }))).toBe("tincPublicKey: does not parse as an RSA public key");
    expect(refused(json({ tincPublicKey: "" }))).toMatch(/^tincPublicKey: /);
  });
});

describe("addresses, ports and prefixes", () => {
  it.each([
    ["meshAddress", "10.0.0.256"],
    ["meshAddress", "010.0.0.2"],
    ["meshAddress", "10.0.2"],
    ["meshAddress", "0.0.0.0"],
    ["meshAddress", "127.0.0.1"],
    ["meshAddress", "224.0.0.5"],
    ["meshAddress", "255.255.255.255"],
    ["meshAddress", " 10.0.0.2"],
    ["routerId", "0.0.0.0"],
    ["routerId", "1.2.3"],
  ])("%s %j is refused", (field, value) => {
    expect(refused(json({ [field]: value }))).toMatch(new RegExp(`^${field}: must be`));
  });

  it.each([
    "10.1", "0x7f000001", "1.2.3.999", "-node", "node-", "a_b.example", "a..b", "example.com.", "x".repeat(64), "", "1.2.3.4 ",
    // IPv6: only the shortest spelling, no brackets (the port is its own field), no loopback or link-local
    "2001:DB8::5", "2001:db8:0:0:0:0:0:5", "[2001:db8::5]", "[2001:db8::5]:655", "::1", "fe80::1", "2001:db8::5%eth0",
  ])(
    "endpoint address %j is refused",
    (address) => {
      expect(refused(json({ endpoint: { address, port: 655 } }))).toBe(
        "endpoint.address: must be a unicast IPv4 address, an IPv6 address in its shortest form or a DNS name",
      );
    },
  );

  it.each(["2001:db8::5", "fd00:bd13:1::11"])("endpoint address %j (IPv6, shortest form) is taken", (address) => {
    const r = parseRecord(KEY, json({ endpoint: { address, port: 655 } }));
    expect(r.ok && r.record.endpoint).toEqual({ address, port: 655 });
  });

  it.each([0, 65536, 1.5, -1])("port %j is refused", (port) => {
    expect(refused(json({ endpoint: { address: "192.0.2.2", port } }))).toMatch(/^endpoint\.port: must be/);
  });

  it.each([
    ["host bits set", "10.0.0.1/24"],
    ["prefix length 33", "10.0.0.0/33"],
    ["no length", "10.0.0.0"],
    ["leading zero", "10.0.0.0/08"],
    ["trailing junk", "10.0.0.0/8x"],
    ["IPv6", "2001:db8::/32"],
  ])("a prefix with %s is refused", (_what, prefix) => {
    expect(refused(json({ prefixes: [prefix] }))).toBe("prefixes[0]: must be an IPv4 network like 192.0.2.0/24 with no host bits set");
  });

  it("refuses a prefix listed twice and too many prefixes", () => {
    expect(refused(json({ prefixes: ["10.1.0.0/16", "10.1.0.0/16"] }))).toBe("prefixes: has a prefix twice");
    const many = Array.from({ length: 257 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
    expect(refused(json({ prefixes: many }))).toBe("prefixes: at most 256 prefixes");
  });

  it("accepts the edge cases that are valid", () => {
    expect(parseRecord(KEY, json({ prefixes: ["0.0.0.0/0", "192.0.2.7/32"], endpoint: { address: "192.0.2.2", port: 65535 } })).ok).toBe(true);
  });
});

describe("the envelope", () => {
  it("refuses a missing field, a wrong version, JSON that is not an object, and non-JSON", () => {
    const { routerId: _, ...noRouterId } = recordFields("node2", 2);
    expect(refused(JSON.stringify(noRouterId))).toBe("routerId: is missing");
    expect(refused(json({ version: 2 }))).toBe("version: must be 1");
    expect(refused("[1,2]")).toBe("(top level): must be an object");
    expect(refused("null")).toBe("(top level): must be an object");
    expect(refused("{not json: evil\n", KEY, ["evil"])).toBe("value is not JSON");
  });

  it("refuses an oversized value without parsing it", () => {
    const big = json({ junk: "x".repeat(MAX_RECORD_BYTES) });
    expect(refused(big)).toBe(`value is larger than ${MAX_RECORD_BYTES} bytes`);
  });

  it("reports the first problem and how many more", () => {
    expect(refused(json({ meshAddress: "x", routerId: "y", version: 3 }))).toBe(
      "meshAddress: must be a unicast IPv4 address like 10.0.0.5 (no leading zeros) (and 2 more)",
    );
  });

  it("never throws, whatever the input", () => {
    for (const value of ["", "1", '"s"', "{}", '{"__proto__": {"name": "x"}}', "\u0000", "[]".repeat(10000)]) {
      expect(() => parseRecord(KEY, value)).not.toThrow();
      expect(parseRecord(KEY, value).ok).toBe(false);
    }
  });
});

describe("helpers", () => {
  it("nameFromKey takes only /peers/<valid name>", () => {
    expect(nameFromKey("/peers/node2")).toBe("node2");
    expect(nameFromKey("/peers/")).toBeUndefined();
    expect(nameFromKey("/peers/a/b")).toBeUndefined();
    expect(nameFromKey("peers/node2")).toBeUndefined();
  });

  it("parseSnapshot keeps the valid records and lists the others with a loggable key", () => {
    const { peers, invalid } = parseSnapshot([
      ["/peers/node2", json()],
      ["/peers/node3", JSON.stringify(recordFields("node3", 3))],
      ["/peers/bad\nkey", json()],
      ["/peers/node4", "garbage"],
    ]);
    expect([...peers.keys()]).toEqual(["node2", "node3"]);
    expect(invalid).toEqual([
      { key: '"/peers/bad\\nkey"', reason: "key is not /peers/<name> with a valid tinc name" },
      { key: '"/peers/node4"', reason: "value is not JSON" },
    ]);
  });

  it("parseSnapshot reads a changed value afresh and judges the same value by the mesh subnet it is given", () => {
    const node3 = JSON.stringify(recordFields("node3", 3));
    expect([...parseSnapshot([["/peers/node3", node3]]).peers.keys()]).toEqual(["node3"]);
    expect(parseSnapshot([["/peers/node3", "garbage"]]).invalid).toEqual([{ key: '"/peers/node3"', reason: "value is not JSON" }]);
    expect([...parseSnapshot([["/peers/node3", node3]]).peers.keys()]).toEqual(["node3"]);
    expect(parseSnapshot([["/peers/node3", node3]], { subnet: "10.9.0.0/24" }).invalid).toEqual([{ key: '"/peers/node3"', reason: "meshAddress: must be a host address of the mesh subnet" }]);
  });

  it("keyForLog gives one bounded, escaped line", () => {
    expect(keyForLog("/peers/a\u2028b\u0085c")).toBe('"/peers/a\\u2028b\\u0085c"');
    expect(keyForLog("x".repeat(500)).length).toBeLessThan(110);
  });

  it("ownRecord builds this node's record from its config, checked like any other", () => {
    const cfg = config({ prefixes: ["198.51.100.0/26"], tincPort: 1655 });
    expect(ownRecord(cfg, sharedKey())).toEqual({
      ok: true,
      record: {
        name: "node1",
        meshAddress: "10.0.0.1",
        routerId: "10.0.0.1",
        tincPublicKey: sharedKey(),
        endpoint: { address: "192.0.2.1", port: 1655 },
        prefixes: ["198.51.100.0/26"],
        version: 1,
      },
    });
    expect(ownRecord(cfg, rsaPublicKey(1024))).toEqual({ ok: false, reason: "tincPublicKey: must be an RSA key of 2048 to 8192 bits, not 1024" });
  });
});

describe("records checked against what this node knows of the mesh", () => {
  const inMesh = (overrides: Record<string, unknown>) => parseRecord(KEY, json(overrides), { subnet: "10.0.0.0/24" });

  it.each([
    ["outside the mesh subnet", "10.0.1.2"],
    ["the subnet's network address", "10.0.0.0"],
    ["the subnet's broadcast address", "10.0.0.255"],
  ])("a mesh address %s is refused, and the reason names the rule, not the value", (_what, meshAddress) => {
    const r = inMesh({ meshAddress });
    expect(r).toEqual({ ok: false, reason: "meshAddress: must be a host address of the mesh subnet" });
  });

  it("a host address of the subnet is accepted, and a snapshot keeps the good records beside the refused one", () => {
    expect(inMesh({ meshAddress: "10.0.0.254" }).ok).toBe(true);
    const { peers, invalid } = parseSnapshot(
      [
        ["/peers/node2", json()],
        ["/peers/node3", JSON.stringify(recordFields("node3", 3, { meshAddress: "192.0.2.77" }))],
      ],
      { subnet: "10.0.0.0/24" },
    );
    expect([...peers.keys()]).toEqual(["node2"]);
    expect(invalid).toEqual([{ key: '"/peers/node3"', reason: "meshAddress: must be a host address of the mesh subnet" }]);
  });

  it.each(["localhost", "LOCALHOST", "db.localhost", "localhost."])("endpoint %j is refused: tinc would connect to itself", (address) => {
    expect(refused(json({ endpoint: { address, port: 655 } }))).toMatch(/^endpoint\.address: must (not be a localhost name: tinc would connect to itself|be a unicast IPv4 address, an IPv6 address in its shortest form or a DNS name)/);
  });

  it("this node's own config: its mesh address must be in its mesh subnet", () => {
    expect(() => config({ meshSubnet: "10.0.0.0/24", meshAddress: "10.0.1.1" })).toThrow(/meshAddress: must be a host address of meshSubnet/);
    expect(config({ meshSubnet: "10.0.0.0/24" }).meshSubnet).toBe("10.0.0.0/24");
  });
});
