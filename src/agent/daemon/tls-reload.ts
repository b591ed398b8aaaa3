// Certificate rotation. The provisioner replaces certFile and keyFile (by rename) before the
// certificate expires; the agent checks the files' stamps every 10 s and on SIGHUP, and when they
// hold something new it moves to a new etcd client built from them (etcd-switch.ts). When that
// fails the current client stays, the failure is logged and counted, and every later check tries
// again until it works or the files change back.
import { errLine, type Logger } from "./log.js";
import type { AgentMetrics } from "./metrics.js";
import { describeCertificate, readTlsMaterial, sameMaterial, TlsFilesError, tlsStamp, type TlsFiles, type TlsMaterial } from "./tls-files.js";

export interface TlsReloadDeps {
  files: TlsFiles;
  /** Switches the etcd client; rejects when the new one does not work. */
  apply: (material: TlsMaterial) => Promise<void>;
  /** This node's name: the CN etcd expects. */
  name: string;
  log: Logger;
  metrics: AgentMetrics;
  intervalMs?: number;
}

export class TlsReload {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  // A certificate and key that are not a pair are most likely half-way through a rotation (two
  // renames): that is a failure only when the next check still finds the same files.
  private mismatchStamp: string | undefined;

  constructor(
    private readonly deps: TlsReloadDeps,
    private active: TlsMaterial,
    private activeStamp: string,
  ) {
    deps.metrics.setClientCertExpiry(active.notAfter);
  }

  /** The material of the client in use. */
  get material(): TlsMaterial {
    return this.active;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check("poll"), this.deps.intervalMs ?? 10_000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Switches when the files changed; a check while one runs joins it. Never rejects. */
  check(reason: string): Promise<void> {
    this.running ??= this.once(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(reason: string): Promise<void> {
    const { files, log } = this.deps;
    const stamp = tlsStamp(files);
    if (stamp === this.activeStamp) {
      if (reason !== "poll") log.info(`${reason}: the etcd TLS files are unchanged`);
      return;
    }
    let next: TlsMaterial;
    try {
      next = readTlsMaterial(files);
    } catch (e) {
      if (e instanceof TlsFilesError && e.mismatch && this.mismatchStamp !== stamp) {
        this.mismatchStamp = stamp;
        log.info(`${e.message} (yet?): checking again in ${(this.deps.intervalMs ?? 10_000) / 1000} s`);
        return;
      }
      this.failed(errLine(e));
      return;
    }
    if (sameMaterial(next, this.active)) {
      this.activeStamp = stamp;
      return;
    }
    this.warnOnName(next);
    log.info(`${reason}: new etcd client certificate (${describeCertificate(next)}): switching to a new etcd client`);
    try {
      await this.deps.apply(next);
    } catch (e) {
      this.failed(errLine(e));
      return;
    }
    this.active = next;
    this.activeStamp = stamp;
    this.deps.metrics.setClientCertExpiry(next.notAfter);
    log.info(`now on the new etcd client (${describeCertificate(next)}); the old one is closed`);
  }

  private failed(reason: string): void {
    this.deps.metrics.tlsReloadFailures.inc();
    this.deps.log.error(`cannot switch to the new etcd TLS files, keeping the current client: ${reason}`);
  }

  /** etcd checks the permissions of the CN's user: another name cannot write /peers/<name>. */
  warnOnName(m: TlsMaterial): void {
    if (m.commonName !== this.deps.name) {
      this.deps.log.warn(`the etcd client certificate's CN is ${m.commonName ?? "(none)"}, not ${this.deps.name}: etcd will refuse to let it write /peers/${this.deps.name}`);
    }
  }
}
