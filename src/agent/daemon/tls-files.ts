// The etcd client's TLS files (the config's etcdTls): read and checked before a client is built
// from them, and stamped so that a replaced file is noticed (tls-reload.ts). Errors name the file
// and the problem, never the contents (the key is a secret).
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** The client certificate's notAfter, Unix seconds. */
  notAfter: number;
  /** The client certificate's CN: the etcd user the agent acts as. */
  commonName: string | undefined;
}

export class TlsFilesError extends Error {
  override name = "TlsFilesError";
  /** `mismatch`: the certificate and the key are each fine but not a pair (half-way through a rotation?). */
  constructor(message: string, readonly mismatch = false) {
    super(message);
  }
}

/**
 * Changes when any of the files is replaced or rewritten: inode, size and mtime of each (a rename
 * brings a new inode even when size and mtime happen to match). A missing file stamps as its error code.
 */
export function tlsStamp(files: TlsFiles): string {
  return [files.caFile, files.certFile, files.keyFile]
    .map((path) => {
      try {
        const st = statSync(path);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? "error";
      }
    })
    .join(" ");
}

function readOne(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsFilesError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

function certificate(path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsFilesError(`${path}: not a PEM certificate`);
  }
}

/** The files' contents, once they are a usable set: a CA, a certificate not yet expired, its key. */
export function readTlsMaterial(files: TlsFiles, nowMs: number = Date.now()): TlsMaterial {
  const ca = readOne(files.caFile);
  const cert = readOne(files.certFile);
  const key = readOne(files.keyFile);
  certificate(files.caFile, ca);
  const x509 = certificate(files.certFile, cert);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFilesError(`${files.keyFile}: not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new TlsFilesError(`${files.certFile} and ${files.keyFile} are not a pair`, true);
  // validTo, not validToDate: Node 18 has only the string ("Dec 24 03:54:00 2026 GMT").
  const notAfterMs = Date.parse(x509.validTo);
  if (Number.isNaN(notAfterMs)) throw new TlsFilesError(`${files.certFile}: cannot read the certificate's expiry`);
  if (notAfterMs <= nowMs) throw new TlsFilesError(`${files.certFile}: the certificate expired on ${new Date(notAfterMs).toISOString()}`);
  const cn = x509.subject.split("\n").find((part) => part.startsWith("CN="));
  return { ca, cert, key, notAfter: Math.floor(notAfterMs / 1000), commonName: cn?.slice(3) };
}

export function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.ca.equals(b.ca) && a.cert.equals(b.cert) && a.key.equals(b.key);
}

/** For log lines: whom the certificate names and until when. */
export function describeCertificate(m: TlsMaterial): string {
  return `CN=${m.commonName ?? "(none)"}, valid until ${new Date(m.notAfter * 1000).toISOString()}`;
}
