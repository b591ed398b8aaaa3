// The mesh's certificate authority, kept with the inventory on the controller: made on first use,
// its key readable by its owner only and never sent anywhere. Node keys are made on the nodes;
// the CA signs their requests, with the names the controller decides, not those a request asks for.
import { X509Certificate, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalIpv6 } from "../fields/ipv6.js";
import { run } from "../util/exec.js";

export interface Ca {
  dir: string;
  certPem: string;
  keyFile: string;
}

export interface CertSpec {
  commonName: string;
  ips: string[];
  dns: string[];
  days: number;
}

const CA_DAYS = 3650;

/** The CA in `dir` (ca.crt, ca.key), made now if there is none. */
export async function loadOrCreateCa(dir: string, name: string, log: (msg: string) => void = () => undefined): Promise<Ca> {
  const keyFile = join(dir, "ca.key");
  const certFile = join(dir, "ca.crt");
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${keyFile}.new`;
    // EC P-256: small and fast, and what etcd, grpc-js and openssl all accept.
    await run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", tmp]);
    chmodSync(tmp, 0o600);
    await run("openssl", ["req", "-x509", "-new", "-key", tmp, "-sha256", "-days", String(CA_DAYS), "-subj", `/CN=${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", certFile]);
    writeFileSync(keyFile, readFileSync(tmp), { mode: 0o600 });
    rmSync(tmp);
    log(`pki: made a certificate authority in ${dir} (ca.key is readable by its owner only: keep it, never copy it to a host)`);
  }
  const mode = statSync(keyFile).mode & 0o777;
  if (mode & 0o077) throw new Error(`${keyFile} is readable by others (mode ${mode.toString(8).padStart(4, "0")}): chmod 600 it`);
  return { dir, certPem: readFileSync(certFile, "utf8"), keyFile };
}

/**
 * A certificate for the key of `csrPem`, for serving and for client authentication. The request
 * proves the host holds the key; its subject must be the one planned, and the names it carries
 * are replaced by the planned ones.
 */
export async function signRequest(ca: Ca, csrPem: string, spec: CertSpec): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "bgpmesh-csr-"));
  try {
    const csr = join(work, "req.pem");
    writeFileSync(csr, csrPem);
    const subject = await run("openssl", ["req", "-in", csr, "-noout", "-verify", "-subject", "-nameopt", "RFC2253"], { allowFailure: true });
    if (subject.code !== 0) throw new Error(`the host's certificate request does not verify: ${subject.stderr.trim().split("\n")[0]}`);
    const cn = /subject=CN=([^,\n]*)/.exec(subject.stdout)?.[1];
    if (cn !== spec.commonName) throw new Error(`the host's certificate request names CN=${cn ?? "?"}, not CN=${spec.commonName}`);
    const san = [...spec.ips.map((ip) => `IP:${ip}`), ...spec.dns.map((d) => `DNS:${d}`)].join(",");
    const ext = join(work, "ext.cnf");
    writeFileSync(ext, [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      ...(san ? [`subjectAltName=${san}`] : []),
      "",
    ].join("\n"));
    const out = join(work, "cert.pem");
    await run("openssl", ["x509", "-req", "-in", csr, "-CA", join(ca.dir, "ca.crt"), "-CAkey", ca.keyFile, "-set_serial", `0x${randomBytes(16).toString("hex")}`,
      "-days", String(spec.days), "-sha256", "-extfile", ext, "-out", out]);
    const pem = readFileSync(out, "utf8");
    // What was issued is what was planned: a last check before it goes to the host.
    const issued = describeCertificate(pem);
    if (issued.commonName !== spec.commonName) throw new Error("issued certificate has the wrong subject");
    return pem;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface CertInfo {
  commonName: string;
  ips: string[];
  dns: string[];
  notAfter: Date;
  publicKeyPem: string;
  /** signed by `caPem` */
  signedBy: (caPem: string) => boolean;
}

export function describeCertificate(pem: string): CertInfo {
  const x = new X509Certificate(pem);
  const names = (x.subjectAltName ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return {
    commonName: /(?:^|\n)CN=(.*)/.exec(x.subject)?.[1] ?? "",
    // An IPv6 SAN comes back as OpenSSL prints it (2001:DB8:0:0:0:0:0:5): in the inventory's
    // spelling, or the certificate's names would never match and every apply would sign it again.
    ips: names.filter((n) => n.startsWith("IP Address:")).map((n) => n.slice("IP Address:".length)).map((ip) => canonicalIpv6(ip) ?? ip),
    dns: names.filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4)),
    notAfter: new Date(x.validTo),
    publicKeyPem: x.publicKey.export({ type: "spki", format: "pem" }).toString(),
    signedBy: (caPem) => {
      try {
        const ca = new X509Certificate(caPem);
        return x.checkIssued(ca) && x.verify(ca.publicKey);
      } catch {
        return false;
      }
    },
  };
}
