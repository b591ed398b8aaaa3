// A key made on the host and a certificate the controller's CA signs for it. The probe reads only
// public data (the key's public half, the certificate, the CA file); the plan decides from them
// whether to make the key, (re)issue the certificate, or rewrite the CA file.
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { describeCertificate } from "../pki/ca.js";
import { shellQuote } from "../util/shell.js";
import type { ResourceBase } from "../model/resource.js";
import { dirOf, writeRootFileScript } from "./file.js";
import type { PlanContext, ResourceKind, RoleForm, Step, Str } from "./kind.js";
import { notify, text, when } from "./schema-parts.js";

/**
 * A private key made on the host (never read by the controller) and a certificate for it, signed
 * by the controller's CA during the apply; the CA's own certificate is written beside them.
 */
export type CertificateResource = ResourceBase & {
  kind: "certificate";
  key: string;
  cert: string;
  /** where the CA certificate is written (one resource per host should name it) */
  ca?: string;
  /** the CA certificate (PEM) when the controller has it; a pull checks against the host's copy */
  caPem?: string;
  commonName: string;
  ips: string[];
  dns: string[];
  /** the key's group (mode 0640); the certificates are 0644 */
  group: string;
  days: number;
  /** renewed this many days before it expires */
  renewDays: number;
  /** renew now whatever the expiry (apply --renew-certs) */
  renew?: boolean;
  notify: string[];
};

/** What the probe read: public data only (the key's public half, the certificate, the CA file). */
interface Seen {
  publicKey?: string;
  cert?: string;
  ca?: string;
}

const DAY = 86_400_000;

/** A short, comparable name for a CA certificate: the start of its SHA-256 fingerprint. */
function fingerprint(pem: string): string {
  try {
    return `SHA256 ${new X509Certificate(pem).fingerprint256.slice(0, 23)}`;
  } catch {
    return "not a certificate";
  }
}
const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
const date = (d: Date) => d.toISOString().slice(0, 10);

/** A certificate (the CA's, or one just signed) written as any file is: through a temp file, renamed. */
export function writeCertificateScript(path: string, pem: string): string {
  return writeRootFileScript(path, Buffer.from(`${pem.trimEnd()}\n`));
}

/** The part of an issuing step that runs on the host: the request, for the key already there. */
export function requestScript(keyPath: string, commonName: string): string {
  return `openssl req -new -key ${shellQuote(keyPath)} -subj ${shellQuote(`/CN=${commonName}`)} 2>/dev/null | base64 -w0`;
}

function whyRenew(r: CertificateResource, publicKey: string | undefined, certPem: string | undefined, caPem: string | undefined, ctx: PlanContext): string | undefined {
  if (!publicKey) return "new key";
  if (!certPem) return "none yet";
  let info;
  try {
    info = describeCertificate(certPem);
  } catch {
    return "the file is not a certificate";
  }
  if (info.publicKeyPem.trim() !== publicKey.trim()) return "it is for another key";
  if (caPem && !info.signedBy(caPem)) return "another CA signed it";
  if (info.commonName !== r.commonName || !sameSet(info.ips, r.ips) || !sameSet(info.dns, r.dns)) return "its names changed";
  const left = Math.floor((info.notAfter.getTime() - ctx.now.getTime()) / DAY);
  if (r.renew) return `renewal asked for; it expires ${date(info.notAfter)}`;
  if (left < r.renewDays) return `expires ${date(info.notAfter)}, in ${left} days (renewed ${r.renewDays} days before)`;
  ctx.notes.push(`certificate ${r.cert} (CN=${r.commonName}) valid until ${date(info.notAfter)}, ${left} days`);
  return undefined;
}

export const certificateKind: ResourceKind<CertificateResource, Seen> = {
  kind: "certificate",
  probe(r, i) {
    const q = shellQuote;
    return [
      `if [ -f ${q(r.key)} ]; then printf 'R\\t${i}\\tkey\\t'; openssl pkey -in ${q(r.key)} -pubout 2>/dev/null | base64 -w0; echo; fi`,
      `if [ -f ${q(r.cert)} ]; then printf 'R\\t${i}\\tcert\\t'; base64 -w0 < ${q(r.cert)}; echo; fi`,
      ...(r.ca ? [`if [ -f ${q(r.ca)} ]; then printf 'R\\t${i}\\tca\\t'; base64 -w0 < ${q(r.ca)}; echo; fi`] : []),
    ].join("\n");
  },
  read(lines) {
    const seen: Seen = {};
    for (const [what, b64 = ""] of lines) {
      const text = Buffer.from(b64, "base64").toString("utf8");
      if (what === "key") seen.publicKey = text;
      else if (what === "cert") seen.cert = text;
      else if (what === "ca") seen.ca = text;
    }
    return seen;
  },
  plan(r, seen, ctx) {
    const actions: Step[] = [];
    // A pull has no CA of its own to write: it checks against the copy the last push left.
    const caPem = r.caPem ?? seen.ca;
    // Another CA on the host means another controller (or another --pki-dir) built this mesh:
    // re-issuing everything under this one would cut the nodes off from each other half-way.
    if (r.ca && r.caPem && seen.ca && seen.ca.trim() !== r.caPem.trim()) {
      throw new Error(
        `${r.ca} holds another CA than this controller's (${fingerprint(seen.ca)} on the host, ${fingerprint(r.caPem)} here): ` +
          "run from the controller and --pki-dir that made this mesh's certificates (moving a mesh to a new CA is not supported)",
      );
    }
    if (r.ca && r.caPem && seen.ca?.trim() !== r.caPem.trim()) {
      actions.push({ target: `file ${r.ca}`, change: seen.ca ? "update" : "create", detail: "the mesh CA certificate", notify: r.notify, script: writeCertificateScript(r.ca, r.caPem) });
    }
    if (!seen.publicKey) {
      const tmp = `${r.key}.bgpmesh-new`;
      actions.push({
        target: `key ${r.key}`,
        change: "create",
        detail: `EC P-256, made on the host, root:${r.group} 0640`,
        notify: [],
        script: [
          `mkdir -p ${shellQuote(dirOf(r.key))}`,
          `(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${shellQuote(tmp)} 2>/dev/null)`,
          `chown root:${shellQuote(r.group)} ${shellQuote(tmp)}`,
          `chmod 0640 ${shellQuote(tmp)}`,
          // Never over a key that appeared meanwhile: a key is not replaced, only made.
          `if [ -e ${shellQuote(r.key)} ]; then rm -f ${shellQuote(tmp)}; else mv ${shellQuote(tmp)} ${shellQuote(r.key)}; fi`,
        ].join("\n"),
      });
    }
    const why = whyRenew(r, seen.publicKey, seen.cert, caPem, ctx);
    if (why) {
      actions.push({
        target: `certificate ${r.cert}`,
        change: seen.cert ? "renew" : "issue",
        detail: `CN=${r.commonName}${[...r.ips.map((x) => ` IP:${x}`), ...r.dns.map((x) => ` DNS:${x}`)].join("")}, ${r.days} days: ${why}`,
        notify: r.notify,
        script: requestScript(r.key, r.commonName),
        sign: { commonName: r.commonName, ips: r.ips, dns: r.dns, days: r.days, certPath: r.cert },
        // Until the certificate is written, nothing the handlers care about has changed.
        atomic: true,
      });
    }
    return actions;
  },
  signed: (sign, pem) => writeCertificateScript(sign.certPath, pem),
};

interface CertificateItem {
  key: Str;
  cert: Str;
  ca?: Str;
  commonName: Str;
  ips: Str[];
  dns: Str[];
  group: Str;
  days: Str;
  renewDays: Str;
  notify: string[];
}

export const certificateForm: RoleForm<CertificateItem> = {
  key: "certificate",
  schema: z.strictObject({
    key: text,
    cert: text,
    ca: text.optional(),
    common_name: text,
    ips: z.array(text).optional(),
    dns: z.array(text).optional(),
    group: text.optional(),
    days: z.union([z.number().int().positive(), text], { error: "expected a number of days" }).optional(),
    renew_days: z.union([z.number().int().nonnegative(), text], { error: "expected a number of days" }).optional(),
    notify,
    when,
  }),
  parse(p) {
    const ca = p.opt("ca");
    return {
      key: p.str("key"),
      cert: p.str("cert"),
      ...(ca && { ca }),
      commonName: p.str("common_name"),
      ips: p.list("ips"),
      dns: p.list("dns"),
      group: p.str("group", "root"),
      days: p.numberText("days", 365),
      renewDays: p.numberText("renew_days", 30),
      notify: p.notify,
    };
  },
  paths: ["key", "cert", "ca"],
  needsCa: true,
  expand(item, x): CertificateResource {
    const names = (list: Str[]) => list.map((n) => x.render(n).trim()).filter(Boolean);
    const days = (s: Str, min: number) => {
      const n = Number(x.render(s));
      if (!Number.isInteger(n) || n < min) throw x.error(s.at, `expected a whole number of days, at least ${min}`);
      return n;
    };
    const commonName = x.render(item.commonName);
    if (!/^[A-Za-z0-9_.@-]+$/.test(commonName)) throw x.error(item.commonName.at, `not a usable certificate name: ${JSON.stringify(commonName)}`);
    return {
      kind: "certificate",
      key: x.path(item.key),
      cert: x.path(item.cert),
      ...(item.ca && { ca: x.path(item.ca) }),
      ...(x.pki.caPem && { caPem: x.pki.caPem }),
      commonName,
      ips: names(item.ips),
      dns: names(item.dns),
      group: x.render(item.group),
      days: days(item.days, 1),
      renewDays: days(item.renewDays, 0),
      ...(x.pki.renew && { renew: true }),
      notify: item.notify,
      origin: x.origin,
    };
  },
};
