import { describe, expect, it } from "vitest";
import { desiredState, tincAddressFamily } from "../../../src/agent/desired-files.js";
import { config } from "./helpers.js";

const tincConf = (endpointAddress: string) => desiredState(config({ endpointAddress }), new Map()).files.get("/etc/tinc/bgpmesh/tinc.conf")!;

describe("tinc's AddressFamily follows the node's own endpoint", () => {
  it("an IPv6 endpoint: any, so tincd listens on IPv6 and dials IPv6 peers", () => {
    expect(tincConf("2001:db8::5")).toContain("\nInterface = tinc0\nAddressFamily = any\n");
    expect(tincAddressFamily("fd00:bd13:1::11")).toBe("any");
  });

  it("an IPv4 or DNS-name endpoint: ipv4, the file byte for byte as before (no restart on upgrade)", () => {
    expect(tincConf("192.0.2.11")).toBe(
      "# tinc network bgpmesh, node node1.\n" +
        "# Written by the bgpmesh node agent (seeded by bgpmesh-provision): changes made here are overwritten.\n" +
        "Name = node1\nMode = switch\nPort = 655\nKeyExpire = 30\nPingInterval = 10\nPingTimeout = 5\nDevice = /dev/net/tun\nInterface = tinc0\nAddressFamily = ipv4\n",
    );
    expect(tincConf("node1.example.net")).toContain("\nAddressFamily = ipv4\n");
  });
});
