// The etcd TLS files with real certificates (openssl): reading and checking them, the expiry
// gauge, and TlsReload noticing a rotated certificate, switching, and keeping the old client (with
// the failure counted) when the switch fails.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../../../../src/agent/daemon/log.js";
import { AgentMetrics } from "../../../../src/agent/daemon/metrics.js";
import { readTlsMaterial, sameMaterial, TlsFilesError, tlsStamp, type TlsFiles, type TlsMaterial } from "../../../../src/agent/daemon/tls-files.js";
import { TlsReload } from "../../../../src/agent/daemon/tls-reload.js";

const base = mkdtempSync(join(tmpdir(), "bgpmesh-tls-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A self-signed P-256 certificate (its own CA) in `dir`; with `key`, for that existing key. */
function makeCert(dir: string, opts: { cn?: string; days?: number; key?: string } = {}): { cert: string; key: string; notAfter: number } {
  const id = ++n;
  const cert = join(dir, `c${id}.pem`);
  const key = opts.key ?? join(dir, `k${id}.pem`);
  const subj = `/CN=${opts.cn ?? "node1"}`;
  const days = String(opts.days ?? 30);
  if (opts.key) execFileSync("openssl", ["req", "-x509", "-key", key, "-days", days, "-subj", subj, "-out", cert], { stdio: "ignore" });
  else execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", days, "-subj", subj, "-keyout", key, "-out", cert], { stdio: "ignore" });
  const end = execFileSync("openssl", ["x509", "-enddate", "-noout", "-in", cert], { encoding: "utf8" }).trim().replace(/^notAfter=/, "");
  return { cert, key, notAfter: Date.parse(end) / 1000 };
}

/** Puts `from` in place of `to` the way the provisioner does: a new file renamed over the old. */
function replace(from: string, to: string): void {
  const temp = `${to}.tmp`;
  writeFileSync(temp, readFileSync(from));
  renameSync(temp, to);
}

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  return { log, lines };
}

const metricValue = async (metrics: AgentMetrics, name: string) => {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
};

describe("the etcd TLS files", () => {
  let dir: string;
  let files: TlsFiles;
  let first: ReturnType<typeof makeCert>;
  beforeEach(() => {
    dir = mkdtempSync(join(base, "d"));
    first = makeCert(dir);
    files = { caFile: join(dir, "ca.pem"), certFile: join(dir, "node1.crt"), keyFile: join(dir, "node1.key") };
    replace(first.cert, files.caFile);
    replace(first.cert, files.certFile);
    replace(first.key, files.keyFile);
  });

  it("are read with the certificate's CN and expiry (notAfter as Unix seconds)", () => {
    const m = readTlsMaterial(files);
    expect(m.commonName).toBe("node1");
    expect(m.notAfter).toBe(first.notAfter);
    expect(m.notAfter - Date.now() / 1000).toBeGreaterThan(29 * 86400);
    expect(m.key.equals(readFileSync(files.keyFile))).toBe(true);
    expect(sameMaterial(m, readTlsMaterial(files))).toBe(true);
  });

  it("are refused, naming the file and never quoting it, when unusable", () => {
    const keyText = readFileSync(files.keyFile, "utf8");
    const refusal = (f: TlsFiles, now?: number) => {
      try {
        readTlsMaterial(f, now);
      } catch (e) {
        expect(e).toBeInstanceOf(TlsFilesError);
        expect((e as Error).message).not.toContain("PRIVATE KEY");
        return e as TlsFilesError;
      }
      throw new Error("expected a refusal");
    };
    expect(refusal({ ...files, caFile: join(dir, "missing.pem") }).message).toBe(`${join(dir, "missing.pem")}: cannot read: ENOENT`);
    expect(refusal({ ...files, certFile: files.keyFile }).message).toBe(`${files.keyFile}: not a PEM certificate`);
    writeFileSync(join(dir, "broken.key"), keyText.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!"));
    expect(refusal({ ...files, keyFile: join(dir, "broken.key") }).message).toBe(`${join(dir, "broken.key")}: not a PEM private key`);
    const other = makeCert(dir);
    const mismatch = refusal({ ...files, keyFile: other.key });
    expect(mismatch.message).toBe(`${files.certFile} and ${other.key} are not a pair`);
    expect(mismatch.mismatch).toBe(true);
    expect(refusal(files, Date.now() + 31 * 86400_000).message).toMatch(/: the certificate expired on \d{4}-/);
  });

  it("have a stamp that changes when a file is replaced, even with the same bytes", () => {
    const before = tlsStamp(files);
    expect(tlsStamp(files)).toBe(before);
    replace(files.certFile, files.certFile);
    expect(tlsStamp(files)).not.toBe(before);
    expect(tlsStamp({ ...files, keyFile: join(dir, "gone") })).toMatch(/ ENOENT$/);
  });

  describe("TlsReload", () => {
    const setup = (apply: (m: TlsMaterial) => Promise<void>) => {
      const metrics = new AgentMetrics(false);
      const { log, lines } = recordingLog();
      const applied: TlsMaterial[] = [];
      const stamp = tlsStamp(files);
      const reload = new TlsReload(
        {
          files,
          name: "node1",
          log,
          metrics,
          apply: async (m) => {
            applied.push(m);
            await apply(m);
          },
        },
        readTlsMaterial(files),
        stamp,
      );
      return { reload, metrics, lines, applied };
    };

    it("sets the expiry gauge from the certificate in use; no such series without TLS", async () => {
      const { metrics } = setup(async () => {});
      expect(await metricValue(metrics, "bgpmesh_etcd_client_cert_expiry_seconds")).toBe(first.notAfter);
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(0);
      expect(new AgentMetrics(false).registry.getSingleMetric("bgpmesh_etcd_client_cert_expiry_seconds")).toBeUndefined();
    });

    it("does nothing while the files are unchanged, or rewritten with the same bytes", async () => {
      const { reload, applied, lines } = setup(async () => {});
      await reload.check("poll");
      replace(files.certFile, files.certFile);
      await reload.check("poll");
      await reload.check("SIGHUP");
      expect(applied).toEqual([]);
      expect(lines).toEqual(["info SIGHUP: the etcd TLS files are unchanged"]);
    });

    it("switches to a rotated certificate (same key) and moves the expiry gauge", async () => {
      const { reload, applied, metrics, lines } = setup(async () => {});
      const renewed = makeCert(dir, { key: files.keyFile, days: 60 });
      replace(renewed.cert, files.certFile);
      await reload.check("poll");
      expect(applied.length).toBe(1);
      expect(applied[0]!.cert.equals(readFileSync(renewed.cert))).toBe(true);
      expect(reload.material.notAfter).toBe(renewed.notAfter);
      expect(await metricValue(metrics, "bgpmesh_etcd_client_cert_expiry_seconds")).toBe(renewed.notAfter);
      expect(lines.some((l) => l.startsWith("info now on the new etcd client (CN=node1, valid until "))).toBe(true);
      await reload.check("poll");
      expect(applied.length).toBe(1);
    });

    it("keeps the old certificate when the switch fails, counts it, and retries at every check until it works", async () => {
      let works = false;
      const { reload, applied, metrics, lines } = setup(async () => {
        if (!works) throw new Error("the new client could not read /peers/ within 10 s (14 UNAVAILABLE)");
      });
      const renewed = makeCert(dir, { key: files.keyFile, days: 60 });
      replace(renewed.cert, files.certFile);
      await reload.check("poll");
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(1);
      expect(await metricValue(metrics, "bgpmesh_etcd_client_cert_expiry_seconds")).toBe(first.notAfter);
      expect(reload.material.notAfter).toBe(first.notAfter);
      expect(lines.at(-1)).toBe("error cannot switch to the new etcd TLS files, keeping the current client: the new client could not read /peers/ within 10 s (14 UNAVAILABLE)");
      await reload.check("poll");
      expect(applied.length).toBe(2);
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(2);
      works = true;
      await reload.check("SIGHUP");
      expect(applied.length).toBe(3);
      expect(reload.material.notAfter).toBe(renewed.notAfter);
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(2);
    });

    it("waits one check for the key of a new key pair before calling it a failure", async () => {
      const { reload, applied, metrics, lines } = setup(async () => {});
      const next = makeCert(dir, { days: 60 });
      replace(next.cert, files.certFile);
      await reload.check("poll");
      expect(applied).toEqual([]);
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(0);
      expect(lines.at(-1)).toMatch(/^info .* are not a pair \(yet\?\): checking again in 10 s$/);
      await reload.check("poll");
      expect(await metricValue(metrics, "bgpmesh_etcd_tls_reload_failures_total")).toBe(1);
      replace(next.key, files.keyFile);
      await reload.check("poll");
      expect(applied.length).toBe(1);
      expect(reload.material.notAfter).toBe(next.notAfter);
    });

    it("warns when the certificate's CN is not this node's name (etcd would refuse the put)", async () => {
      const { reload, lines } = setup(async () => {});
      const other = makeCert(dir, { key: files.keyFile, cn: "node9" });
      replace(other.cert, files.certFile);
      await reload.check("poll");
      expect(lines).toContain("warn the etcd client certificate's CN is node9, not node1: etcd will refuse to let it write /peers/node1");
    });

    it("joins a check already under way instead of starting a second switch", async () => {
      let release!: () => void;
      const { reload, applied } = setup(() => new Promise<void>((r) => (release = r)));
      replace(makeCert(dir, { key: files.keyFile, days: 60 }).cert, files.certFile);
      const a = reload.check("poll");
      const b = reload.check("SIGHUP");
      expect(b).toBe(a);
      await new Promise((r) => setTimeout(r, 10));
      release();
      await a;
      expect(applied.length).toBe(1);
    });
  });
});
