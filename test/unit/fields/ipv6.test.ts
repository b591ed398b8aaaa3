import { describe, expect, it } from "vitest";
import { canonicalIpv6, derivedSubnet6, formatIpv6, ipv6ToBigInt, isHostAddress6Of, isIpv6, isUnicastIpv6, parseCidr6, parseSubnet6 } from "../../../src/fields/ipv6.js";
import { parsePrefix, prefixContains } from "../../../src/fields/prefix.js";
import { compareRanges, formatPrefixRange, parsePrefixRange, rangeCovers } from "../../../src/fields/prefix-range.js";

describe("IPv6 addresses", () => {
  it("have one spelling: RFC 5952's shortest, lowercase form", () => {
    expect(canonicalIpv6("2001:DB8:0:0::5")).toBe("2001:db8::5");
    expect(canonicalIpv6("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(isIpv6("2001:db8::5")).toBe(true);
    for (const other of ["2001:DB8::5", "2001:db8:0::5", "2001:0db8::5", "fe80::1%eth0", "10.0.0.1", "::ffff:1.2.3.4", "2001:db8::5\n"]) expect(isIpv6(other), other).toBe(false);
  });

  it("round-trip through their number", () => {
    for (const a of ["::", "::1", "fd90:91b4:498c::3a7", "2001:db8::1:0:0:1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]) expect(formatIpv6(ipv6ToBigInt(a)!)).toBe(a);
  });

  it("are unicast unless unspecified, loopback, multicast, link-local or IPv4-mapped", () => {
    expect(isUnicastIpv6("fd00::5")).toBe(true);
    expect(isUnicastIpv6("2001:db8::5")).toBe(true);
    for (const a of ["::", "::1", "ff02::1", "fe80::1", "febf::1", "::ffff:102:304"]) expect(isUnicastIpv6(a), a).toBe(false);
  });
});

describe("IPv6 prefixes and the mesh subnet", () => {
  it("refuse host bits, other spellings and lengths over 128", () => {
    expect(parseCidr6("2001:db8::/32")).toEqual({ network: ipv6ToBigInt("2001:db8::"), prefixlen: 32 });
    expect(parseCidr6("::/0")).toEqual({ network: 0n, prefixlen: 0 });
    for (const bad of ["2001:db8::1/32", "2001:DB8::/32", "2001:db8::/129", "2001:db8::/032", "2001:db8::"]) expect(parseCidr6(bad), bad).toBeUndefined();
  });

  it("a mesh gets a ULA /64 from its name: the same name, the same subnet", () => {
    const a = derivedSubnet6("bgpmesh");
    expect(a).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
    expect(derivedSubnet6("bgpmesh")).toBe(a);
    expect(derivedSubnet6("othermesh")).not.toBe(a);
    expect(parseSubnet6(a)).toBeDefined();
  });

  it("mesh_subnet6 is a unicast /64; its host addresses exclude the all-zero one", () => {
    expect(parseSubnet6("fd00::/48")).toBeUndefined();
    expect(parseSubnet6("ff00::/64")).toBeUndefined();
    expect(isHostAddress6Of("fd00::/64", "fd00::1")).toBe(true);
    expect(isHostAddress6Of("fd00::/64", "fd00::")).toBe(false);
    expect(isHostAddress6Of("fd00::/64", "fd00:0:0:1::1")).toBe(false);
  });
});

describe("prefixes of either family", () => {
  it("contain only their own family's prefixes", () => {
    const v4 = parsePrefix("0.0.0.0/0")!;
    const v6 = parsePrefix("::/0")!;
    expect(prefixContains(v6, parsePrefix("2001:db8::/32")!)).toBe(true);
    expect(prefixContains(v4, parsePrefix("2001:db8::/32")!)).toBe(false);
    expect(prefixContains(v6, parsePrefix("192.0.2.0/24")!)).toBe(false);
  });

  it("prefix ranges read IPv6 as they read IPv4, up to /128", () => {
    expect(parsePrefixRange("2001:db8:100::/48 le 56")).toEqual({ prefix: "2001:db8:100::/48", ge: 48, le: 56 });
    expect(parsePrefixRange("2001:db8:100::/48 ge 64")).toEqual({ prefix: "2001:db8:100::/48", ge: 64, le: 128 });
    expect(parsePrefixRange("2001:db8:100::/48 le 129")).toEqual({ problem: "has le 129: it must be from 48 (the prefix's length) to 128" });
    expect(parsePrefixRange("198.51.100.0/24 le 33")).toEqual({ problem: "has le 33: it must be from 24 (the prefix's length) to 32" });
    expect(parsePrefixRange("2001:DB8::/32")).toHaveProperty("problem");
    expect(formatPrefixRange({ prefix: "2001:db8:100::/48", ge: 48, le: 56 })).toBe("2001:db8:100::/48 le 56");
    const r = { prefix: "2001:db8:100::/48", ge: 48, le: 56 };
    expect(rangeCovers(r, parsePrefix("2001:db8:100:ff00::/56")!)).toBe(true);
    expect(rangeCovers(r, parsePrefix("2001:db8:100::/64")!)).toBe(false);
    expect(rangeCovers({ prefix: "0.0.0.0/0", ge: 0, le: 32 }, parsePrefix("2001:db8::/32")!)).toBe(false);
  });

  it("sort IPv4 before IPv6, then by network and length", () => {
    const ranges = ["2001:db8::/32", "198.51.100.0/24", "2001:db8::/48", "10.0.0.0/8"].map((prefix) => {
      const len = parsePrefix(prefix)!.prefixlen;
      return { prefix, ge: len, le: len };
    });
    expect([...ranges].sort(compareRanges).map((r) => r.prefix)).toEqual(["10.0.0.0/8", "198.51.100.0/24", "2001:db8::/32", "2001:db8::/48"]);
  });
});
