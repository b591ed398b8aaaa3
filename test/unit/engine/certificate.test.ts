// A certificate resource end to end on this machine, in a temp folder: the key is made where the
// script runs, the request goes to a CA made here, the signed certificate comes back in the next
// piece of the script; a second plan finds it valid and shows its expiry.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyScripts, csrEnd, parseApplyOutput, requestFrom } from "../../../src/engine/apply-script.js";
import type { DesiredHost } from "../../../src/model/resource.js";
import type { CertificateResource } from "../../../src/resources/certificate.js";
import { parseProbe } from "../../../src/engine/observed.js";
import { planHost } from "../../../src/engine/plan.js";
import { FACTS_SCRIPT } from "../../../src/engine/facts.js";
import { probeScript } from "../../../src/engine/probe-script.js";
import { describeCertificate, loadOrCreateCa, signRequest, type Ca } from "../../../src/pki/ca.js";
import { localTransport } from "../../../src/transport/local.js";
import { run } from "../../../src/util/exec.js";

let dir: string;
let ca: Ca;
const origin = { where: "roles/t/role.yml:1" };

function host(extra: Partial<CertificateResource> = {}): DesiredHost {
  const cert: CertificateResource = {
    kind: "certificate",
    key: `${dir}/pki/node.key`,
    cert: `${dir}/pki/node.crt`,
    ca: `${dir}/pki/ca.crt`,
    caPem: ca.certPem,
    commonName: "node1",
    ips: ["192.0.2.11", "127.0.0.1"],
    dns: [],
    group: "root",
    days: 30,
    renewDays: 7,
    notify: [],
    origin,
    ...extra,
  };
  return { host: "local", roles: ["t"], resources: [cert], handlers: [] };
}

async function plan(d: DesiredHost, now = new Date()) {
  const probe = await run("sh", ["-c", FACTS_SCRIPT + "\n" + probeScript(d, `${dir}/journal`)]);
  return planHost(d, parseProbe(probe.stdout), () => false, now);
}

/** Runs the plan's script the way host-run.ts does: each request signed between two pieces. */
async function apply(d: DesiredHost, signer = (csr: string, spec: Parameters<typeof signRequest>[2]) => signRequest(ca, csr, spec)) {
  const p = await plan(d);
  const scripts = applyScripts(p, `${dir}/journal`);
  const session = await localTransport("local").start("sh -s");
  session.write(scripts.first);
  let last = "";
  for (const pause of scripts.signs) {
    const printed = await session.readUntil(csrEnd(pause.id));
    try {
      last = pause.resume(await signer(requestFrom(printed, pause.id), pause.spec));
    } catch (e) {
      last = pause.abort((e as Error).message);
    }
    session.write(last);
  }
  const r = await session.end();
  return { plan: p, result: parseApplyOutput(r.stdout), stderr: r.stderr };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "bgpmesh-cert-"));
  ca = await loadOrCreateCa(join(dir, "ca"), "test CA");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a certificate resource", () => {
  it("makes the key on the host, has the request signed by the CA, and then finds it valid", async () => {
    const first = await apply(host());
    expect(first.plan.actions.map((a) => `${a.change} ${a.target}`)).toEqual([
      `create file ${dir}/pki/ca.crt`,
      `create key ${dir}/pki/node.key`,
      `issue certificate ${dir}/pki/node.crt`,
    ]);
    expect(first.result.done, first.stderr).toBe(true);
    expect(statSync(`${dir}/pki/node.key`).mode & 0o777).toBe(0o640);
    const info = describeCertificate(readFileSync(`${dir}/pki/node.crt`, "utf8"));
    expect(info).toMatchObject({ commonName: "node1", ips: ["192.0.2.11", "127.0.0.1"] });
    expect(info.signedBy(ca.certPem)).toBe(true);
    expect(readFileSync(`${dir}/pki/ca.crt`, "utf8")).toBe(ca.certPem);
    expect(statSync(join(dir, "ca", "ca.key")).mode & 0o777).toBe(0o600);

    const again = await plan(host());
    expect(again.actions).toEqual([]);
    expect(again.notes[0]).toMatch(new RegExp(`certificate ${dir}/pki/node.crt \\(CN=node1\\) valid until \\d{4}-\\d\\d-\\d\\d, (29|30) days`));
  });

  it("renews near expiry, when its names change, and when asked; the key stays", async () => {
    await apply(host());
    const key = readFileSync(`${dir}/pki/node.key`);
    const soon = await plan(host(), new Date(Date.now() + 25 * 86_400_000));
    expect(soon.actions.map((a) => `${a.change} ${a.target}: ${a.detail}`)).toEqual([
      expect.stringMatching(/^renew certificate .*node\.crt: CN=node1 IP:192\.0\.2\.11 IP:127\.0\.0\.1, 30 days: expires \d{4}-\d\d-\d\d, in [45] days \(renewed 7 days before\)$/),
    ]);
    expect((await plan(host({ ips: ["192.0.2.99"] }))).actions[0]?.detail).toMatch(/its names changed$/);
    const forced = await apply(host({ renew: true }));
    expect(forced.result.done).toBe(true);
    expect(readFileSync(`${dir}/pki/node.key`)).toEqual(key);
  });

  it("issues an IPv6 SAN (IP:2001:db8::5) and reads it back in that spelling, so a second plan changes nothing", async () => {
    const v6 = host({ ips: ["2001:db8::5", "127.0.0.1"] });
    const first = await apply(v6);
    expect(first.plan.actions.map((a) => a.detail).at(-1)).toMatch(/^CN=node1 IP:2001:db8::5 IP:127\.0\.0\.1, 30 days/);
    expect(first.result.done, first.stderr).toBe(true);
    // OpenSSL writes it back as IP Address:2001:DB8:0:0:0:0:0:5
    expect(describeCertificate(readFileSync(`${dir}/pki/node.crt`, "utf8")).ips).toEqual(["2001:db8::5", "127.0.0.1"]);
    expect((await plan(v6)).actions).toEqual([]);
    expect((await plan(host({ ips: ["2001:db8::6", "127.0.0.1"] }))).actions[0]?.detail).toMatch(/its names changed$/);
  });

  it("refuses to plan for a host whose CA is another one (another controller or --pki-dir)", async () => {
    await apply(host());
    const other = await loadOrCreateCa(join(dir, "other-ca"), "other CA");
    await expect(plan(host({ caPem: other.certPem }))).rejects.toThrow(/holds another CA than this controller's \(SHA256 [0-9A-F:]+ on the host, SHA256 [0-9A-F:]+ here\)/);
  });

  it("a request the CA refuses fails the step and leaves the old certificate", async () => {
    await apply(host());
    const before = readFileSync(`${dir}/pki/node.crt`, "utf8");
    const refused = await apply(host({ renew: true }), () => Promise.reject(new Error("no, not today")));
    expect(refused.result.failed).toBe("a0");
    expect(refused.stderr).toContain("cannot issue the certificate: no, not today");
    expect(readFileSync(`${dir}/pki/node.crt`, "utf8")).toBe(before);
    // a request for another name than planned is refused by the CA itself
    await expect(signRequest(ca, requestPem(), { commonName: "node2", ips: [], dns: [], days: 1 })).rejects.toThrow(/CN=node1, not CN=node2/);
  });
});

function requestPem(): string {
  return readFileSync(`${dir}/req.pem`, "utf8");
}

beforeEach(async () => {
  await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${dir}/req.key`, "-subj", "/CN=node1", "-out", `${dir}/req.pem`]);
});
