import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgentConfigError, loadConfig, parseConfig } from "../../../src/agent/config.js";

const dir = mkdtempSync(join(tmpdir(), "bgpmesh-agent-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MINIMAL = {
  name: "node1",
  meshName: "bgpmesh",
  meshAddress: "10.0.0.11",
  routerId: "10.0.0.11",
  endpointAddress: "192.0.2.11",
  etcdEndpoints: ["http://192.0.2.11:2379", "http://etcd.example.net:2379"],
};

function file(content: string): string {
  const path = join(dir, `agent-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  return path;
}

function loadError(content: unknown): string {
  const path = file(typeof content === "string" ? content : JSON.stringify(content));
  try {
    loadConfig(path);
  } catch (e) {
    expect(e).toBeInstanceOf(AgentConfigError);
    return (e as Error).message.replaceAll(path, "FILE");
  }
  throw new Error("expected loadConfig to fail");
}

describe("the agent config", () => {
  it("fills in the defaults", () => {
    expect(loadConfig(file(JSON.stringify(MINIMAL)))).toEqual({
      ...MINIMAL,
      tincPort: 655,
      tincKeyExpireSeconds: 30,
      requireAllocations: false,
      prefixes: [],
      prefixes6: [],
      meshInterface: "tinc0",
      metricsPort: 2112,
      hostFileGraceSeconds: 300,
      leaseTtlSeconds: 10,
      paths: { tincDir: "/etc/tinc", birdConf: "/etc/bird/bird.conf", birdPeersDir: "/etc/bird/peers.d" },
    });
  });

  it("checks the IPv6 settings: both address and subnet, the address in the subnet and in its shortest form", () => {
    const bad = (extra: object) => () => parseConfig(JSON.stringify({ ...MINIMAL, ...extra }), "/etc/bgpmesh/agent.json");
    expect(bad({ meshAddress6: "fd00::5" })).toThrow("/etc/bgpmesh/agent.json: meshSubnet6: must be set with meshAddress6 and meshSubnet6 both, or neither");
    expect(bad({ meshAddress6: "fd01::5", meshSubnet6: "fd00::/64" })).toThrow("/etc/bgpmesh/agent.json: meshAddress6: must be a host address of meshSubnet6");
    expect(bad({ meshAddress6: "FD00::5", meshSubnet6: "fd00::/64" })).toThrow(/meshAddress6: must be a unicast IPv6 address in its shortest form/);
    expect(bad({ meshAddress6: "fd00:0::5", meshSubnet6: "fd00::/64" })).toThrow(/meshAddress6: must be a unicast IPv6 address in its shortest form/);
    expect(bad({ meshAddress6: "fd00::5", meshSubnet6: "fd00::/48" })).toThrow(/meshSubnet6: must be an IPv6 \/64/);
    expect(bad({ prefixes6: ["2001:db8::/32"] })).toThrow("prefixes6: needs meshAddress6");
    expect(bad({ meshAddress6: "fd00::5", meshSubnet6: "fd00::/64", prefixes6: ["2001:db8::1/32"] })).toThrow("prefixes6[0]: must be an IPv6 network");
  });

  it("takes every setting", () => {
    const full = {
      ...MINIMAL,
      tincPort: 1655,
      tincKeyExpireSeconds: 3600,
      meshSubnet: "10.0.0.0/24",
      meshAddress6: "fd90:91b4:498c::3a7",
      meshSubnet6: "fd90:91b4:498c::/64",
      prefixes6: ["2001:db8:100::/48"],
      requireAllocations: true,
      prefixes: ["198.51.100.0/26"],
      meshInterface: "mesh0",
      metricsPort: 9100,
      hostFileGraceSeconds: 0,
      leaseTtlSeconds: 30,
      paths: { tincDir: "/srv/tinc", birdConf: "/srv/bird/bird.conf", birdPeersDir: "/srv/bird/peers.d" },
    };
    expect(parseConfig(JSON.stringify(full), "x")).toEqual(full);
    expect(parseConfig(JSON.stringify({ ...MINIMAL, paths: { tincDir: "/srv/tinc" } }), "x").paths).toEqual({
      tincDir: "/srv/tinc",
      birdConf: "/etc/bird/bird.conf",
      birdPeersDir: "/etc/bird/peers.d",
    });
  });

  it("names the file and the key of a missing or wrong setting", () => {
    const { etcdEndpoints: _, ...noEtcd } = MINIMAL;
    expect(loadError(noEtcd)).toBe("FILE: etcdEndpoints: is missing");
    expect(loadError({ ...MINIMAL, tincPort: "655" })).toBe("FILE: tincPort: must be a port number");
    expect(loadError({ ...MINIMAL, meshAddress: "10.0.0.300" })).toBe("FILE: meshAddress: must be a unicast IPv4 address like 10.0.0.5 (no leading zeros)");
    expect(loadError({ ...MINIMAL, etcdEndpoints: ["http://a:2379", "ftp://b"] })).toBe("FILE: etcdEndpoints[1]: must be an http:// or https:// URL without credentials");
    expect(loadError({ ...MINIMAL, etcdEndpoints: ["http://root:secret@a:2379"] })).toBe("FILE: etcdEndpoints[0]: must be an http:// or https:// URL without credentials");
    expect(loadError({ ...MINIMAL, etcdEndpoints: [] })).toBe("FILE: etcdEndpoints: must list at least one etcd endpoint");
    expect(loadError({ ...MINIMAL, paths: { tincDir: "/etc/../tmp" } })).toBe("FILE: paths.tincDir: must not contain . or .. segments");
    expect(loadError({ ...MINIMAL, paths: { birdConf: "bird.conf" } })).toBe("FILE: paths.birdConf: must be an absolute path of letters, digits, _ . -");
    expect(loadError({ ...MINIMAL, meshName: "a-b" })).toBe("FILE: meshName: must be 1 to 15 letters, digits or _");
    expect(loadError({ ...MINIMAL, meshInterface: "tinc0\nx" })).toBe("FILE: meshInterface: must be an interface name: 1 to 15 letters, digits, _ . -");
    expect(loadError({ ...MINIMAL, hostFileGraceSeconds: -1 })).toBe("FILE: hostFileGraceSeconds: must be from 0 to 604800 seconds");
    expect(loadError({ ...MINIMAL, tincKeyExpireSeconds: 5 })).toBe("FILE: tincKeyExpireSeconds: must be from 10 to 86400 seconds");
    expect(loadError({ ...MINIMAL, leaseTtlSeconds: 2 })).toBe("FILE: leaseTtlSeconds: must be from 5 to 3600 seconds");
    expect(loadError({ ...MINIMAL, bgpTimers: { holdSeconds: 9, keepaliveSeconds: 4 } })).toBe("FILE: bgpTimers.keepaliveSeconds: keepaliveSeconds must be at most a third of holdSeconds");
    expect(loadError({ ...MINIMAL, bgpGracefulRestart: { restartSeconds: 5000 } })).toBe("FILE: bgpGracefulRestart.restartSeconds: must be from 5 to 4095 seconds");
    expect(loadError({ ...MINIMAL, bgpGracefulRestart: { restartSeconds: 60, bfdGraceful: "yes" } })).toBe("FILE: bgpGracefulRestart.bfdGraceful: must be true or false");
  });

  it("lists every problem, one line each, and refuses unknown keys (a typo is not ignored)", () => {
    expect(loadError({ ...MINIMAL, name: "bad name", metricsPort: 0, metricPort: 2112 })).toBe(
      [
        "FILE: name: must be 1 to 64 letters, digits or _",
        "FILE: metricsPort: must be a port from 1 to 65535",
        "FILE: (top level): has an unknown key",
      ].join("\n"),
    );
  });

  it("says when the file is not JSON or cannot be read", () => {
    expect(loadError("{ name: node1 }")).toBe("FILE: not valid JSON (line 1, column 3)");
    expect(loadError('{\n  "name": "node1" "meshName": "x"\n}')).toBe("FILE: not valid JSON (line 2, column 19)");
    expect(loadError("[]")).toBe("FILE: (top level): must be an object");
    expect(() => loadConfig(join(dir, "missing.json"))).toThrow(`${join(dir, "missing.json")}: cannot read the agent config: ENOENT`);
  });
});

describe("etcd over TLS and the BGP password", () => {
  const TLS = { caFile: "/etc/bgpmesh/tls/ca.crt", certFile: "/etc/bgpmesh/tls/node1.crt", keyFile: "/etc/bgpmesh/tls/node1.key" };
  const HTTPS = ["https://192.0.2.11:2379", "https://etcd.example.net:2379"];

  it("takes etcdTls with https:// endpoints only, and a BGP password", () => {
    const c = parseConfig(JSON.stringify({ ...MINIMAL, etcdEndpoints: HTTPS, etcdTls: TLS, bgpPassword: "s3cret pass!#~" }), "x");
    expect(c.etcdTls).toEqual(TLS);
    expect(c.bgpPassword).toBe("s3cret pass!#~");
    expect(parseConfig(JSON.stringify({ ...MINIMAL, bgpPassword: "x".repeat(80) }), "x").bgpPassword).toHaveLength(80);
    const plain = parseConfig(JSON.stringify(MINIMAL), "x");
    expect(plain.etcdTls).toBeUndefined();
    expect(plain.bgpPassword).toBeUndefined();
  });

  it("wants etcdTls exactly when the endpoints are https://", () => {
    expect(loadError({ ...MINIMAL, etcdEndpoints: [HTTPS[0], "http://192.0.2.12:2379"], etcdTls: TLS })).toBe("FILE: etcdEndpoints[1]: must be https:// when etcdTls is set");
    expect(loadError({ ...MINIMAL, etcdEndpoints: HTTPS })).toBe(
      ["FILE: etcdEndpoints[0]: is https://: set etcdTls (caFile, certFile, keyFile) as well", "FILE: etcdEndpoints[1]: is https://: set etcdTls (caFile, certFile, keyFile) as well"].join("\n"),
    );
    expect(loadError({ ...MINIMAL, etcdEndpoints: ["http://192.0.2.11:2379", HTTPS[1]] })).toBe("FILE: etcdEndpoints[1]: is https://: set etcdTls (caFile, certFile, keyFile) as well");
  });

  it("checks the etcdTls paths", () => {
    const { keyFile: _, ...noKey } = TLS;
    expect(loadError({ ...MINIMAL, etcdEndpoints: HTTPS, etcdTls: noKey })).toBe("FILE: etcdTls.keyFile: is missing");
    expect(loadError({ ...MINIMAL, etcdEndpoints: HTTPS, etcdTls: { ...TLS, certFile: "node1.crt" } })).toBe("FILE: etcdTls.certFile: must be an absolute path of letters, digits, _ . -");
    expect(loadError({ ...MINIMAL, etcdEndpoints: HTTPS, etcdTls: { ...TLS, caFile: "/etc/../ca.crt" } })).toBe("FILE: etcdTls.caFile: must not contain . or .. segments");
    expect(loadError({ ...MINIMAL, etcdEndpoints: HTTPS, etcdTls: { ...TLS, password: "x" } })).toBe("FILE: etcdTls: has an unknown key");
  });

  it("refuses a password BIRD could not take as a string, without ever repeating it", () => {
    const rule = 'FILE: bgpPassword: must be 1 to 80 printable ASCII characters without " or \\';
    for (const bad of ["", "x".repeat(81), 'pass"word', "pass\\word", "pass\nword", "pass\tword", "pässword", "pass\u0000word"]) {
      const message = loadError({ ...MINIMAL, bgpPassword: bad });
      expect(message).toBe(rule);
      if (bad.length > 0) expect(message).not.toContain(bad);
    }
    expect(loadError({ ...MINIMAL, bgpPassword: 12345678 })).toBe("FILE: bgpPassword: must be a string");
  });

  it("never quotes the file when it is not JSON (the password may be next to the mistake)", () => {
    const message = loadError(`{ "bgpPassword": "hunter2-secret" x }`);
    expect(message).toBe("FILE: not valid JSON (line 1, column 35)");
    expect(message).not.toContain("hunter2");
    expect(loadError(`{ "bgpPassword": hunter2-secret }`)).not.toContain("hunter2");
  });
});
