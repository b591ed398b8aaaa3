// The agent's TLS connections to etcd check the member's certificate for the address they dialled.
// Node 18 (Debian 12's nodejs) gets that wrong for an IPv6 address: its tls.checkServerIdentity
// passes the host through url.domainToASCII first, which turns "fd00:bd13:1::11" into "", so the
// address is taken for a host name and checked against the CN ("Host: fd00:bd13:1::11. is not
// cert's CN: node1") although the certificate lists it (IP Address:FD00:BD13:1:0:0:0:0:11). Node 20
// checks it right. grpc-js offers no per-channel check through etcd3, and Node's tls.connect reads
// tls.checkServerIdentity when it connects, so the agent puts its own in front of it: an IPv6
// address listed among the certificate's IP SANs passes; everything else (IPv4, names, an IPv6
// address not listed) goes to Node's own check, unchanged.
import { isIP } from "node:net";
import tls, { type PeerCertificate } from "node:tls";
import { canonicalIpv6 } from "../../fields/ipv6.js";

type Check = (hostname: string, cert: PeerCertificate) => Error | undefined;

/** The IPv6 addresses among the certificate's subjectAltName entries, in their shortest spelling. */
export function certIpv6Addresses(subjectaltname: string | undefined): string[] {
  return (subjectaltname ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.startsWith("IP Address:"))
    .flatMap((n) => canonicalIpv6(n.slice("IP Address:".length)) ?? []);
}

export function withIpv6Identity(original: Check): Check {
  return (hostname, cert) => {
    const wanted = isIP(hostname) === 6 ? canonicalIpv6(hostname) : undefined;
    if (wanted !== undefined && certIpv6Addresses(cert.subjectaltname).includes(wanted)) return undefined;
    return original(hostname, cert);
  };
}

const INSTALLED = Symbol.for("bgpmesh.ipv6-identity");

/** Puts withIpv6Identity in front of Node's check, once per process. */
export function installIpv6IdentityCheck(): void {
  const current = tls.checkServerIdentity as Check & { [INSTALLED]?: true };
  if (current[INSTALLED]) return;
  const wrapped = Object.assign(withIpv6Identity(current), { [INSTALLED]: true as const });
  (tls as { checkServerIdentity: Check }).checkServerIdentity = wrapped;
}
