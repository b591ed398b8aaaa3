import type { PeerCertificate } from "node:tls";
import tls from "node:tls";
import { describe, expect, it } from "vitest";
import { certIpv6Addresses, installIpv6IdentityCheck, withIpv6Identity } from "../../../../src/agent/daemon/tls-identity.js";

// As OpenSSL and Node print a certificate made with subjectAltName=IP:fd00:bd13:1::11,IP:127.0.0.1
const cert = (subjectaltname: string) => ({ subject: { CN: "node1" }, subjectaltname }) as unknown as PeerCertificate;
const NODE1 = cert("IP Address:FD00:BD13:1:0:0:0:0:11, IP Address:127.0.0.1");

/** Node 18.20's check, as it behaves: an IPv6 host is taken for a name and matched against the CN. */
const node18 = (hostname: string, c: PeerCertificate) =>
  hostname.includes(":") ? Object.assign(new Error(`Hostname/IP does not match certificate's altnames: Host: ${hostname}. is not cert's CN: ${c.subject.CN}`), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }) : undefined;

describe("the etcd member's certificate, dialled at an IPv6 address", () => {
  it("reads the IPv6 SANs in their shortest spelling", () => {
    expect(certIpv6Addresses(NODE1.subjectaltname)).toEqual(["fd00:bd13:1::11"]);
    expect(certIpv6Addresses(undefined)).toEqual([]);
  });

  it("passes an address the certificate lists, whatever Node 18 says", () => {
    const check = withIpv6Identity(node18);
    expect(check("fd00:bd13:1::11", NODE1)).toBeUndefined();
  });

  it("leaves everything else to Node's own check: an unlisted IPv6 address, IPv4 addresses, names", () => {
    const check = withIpv6Identity(tls.checkServerIdentity);
    expect(check("fd00:bd13:1::12", NODE1)?.message).toMatch(/does not match certificate's altnames/);
    expect(check("127.0.0.1", NODE1)).toBeUndefined();
    expect(check("192.0.2.1", NODE1)?.message).toMatch(/IP: 192\.0\.2\.1 is not in the cert's list/);
    expect(check("node1.example", NODE1)?.message).toMatch(/does not match/);
  });

  it("is installed in front of tls.checkServerIdentity once", () => {
    const before = tls.checkServerIdentity;
    try {
      installIpv6IdentityCheck();
      const installed = tls.checkServerIdentity;
      installIpv6IdentityCheck();
      expect(tls.checkServerIdentity).toBe(installed);
      expect(installed).not.toBe(before);
      expect(tls.checkServerIdentity("fd00:bd13:1::11", NODE1)).toBeUndefined();
    } finally {
      tls.checkServerIdentity = before;
    }
  });
});
