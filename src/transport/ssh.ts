// Push mode's transport: one SSH connection per host (node-ssh over ssh2), every command a channel on it.
import type { EventEmitter } from "node:events";
import { constants, homedir } from "node:os";
import { Socket } from "node:net";
import { join } from "node:path";
import type { Duplex, Readable } from "node:stream";
import { NodeSSH } from "node-ssh";
import type { Connection } from "../inventory/index.js";
import { hostKeyCheck } from "./host-key.js";
import { RunningCommand } from "./running.js";
import { authPlan, AuthSetupError, type AuthPlan } from "./ssh-auth.js";
import { connectFailure, lostConnection } from "./ssh-errors.js";
import { asRoot } from "./shell-quote.js";
import { sudoProblem } from "./sudo.js";
import { UnreachableError, type ExecResult, type Session, type Transport } from "./transport.js";

export { HostKeyError } from "./host-key.js";
export { SudoError } from "./sudo.js";

export interface SshOptions {
  /** record the key of a host missing from known_hosts (a changed key is refused regardless) */
  acceptNewHostKeys?: boolean;
  /** for the TCP connect, the SSH handshake and the login together; default 10 s */
  connectTimeoutMs?: number;
  /** default: the inventory's bgpmesh_known_hosts, else ~/.ssh/known_hosts */
  knownHostsFile?: string;
}

// The parts of ssh2 used here; node-ssh's typings refer to ssh2's, which are not installed.
interface SshChannel extends Duplex {
  stderr: Readable;
}
interface SshClient extends EventEmitter {
  exec(command: string, callback: (err: Error | undefined, channel: SshChannel) => void): boolean;
}

const KEEPALIVE_MS = 15_000;

function exitCode(code: number | null | undefined, signal: string | undefined): number {
  if (typeof code === "number") return code;
  const n = signal ? (constants.signals as Record<string, number | undefined>)[signal] : undefined;
  return n === undefined ? 255 : 128 + n;
}

/**
 * Connects to a host as the inventory says, checking its key against known_hosts. Anything that keeps
 * us from a logged-in connection throws UnreachableError (HostKeyError for key problems), worded as
 * `node3 (10.213.1.99:22): connection timed out after 5s`.
 */
export async function connectSsh(name: string, conn: Connection, opts: SshOptions = {}): Promise<Transport> {
  const who = `${name} (${conn.host.includes(":") ? `[${conn.host}]` : conn.host}:${conn.port})`;
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  let auth: AuthPlan;
  try {
    auth = authPlan(conn.user, conn.privateKeyFile);
  } catch (e) {
    throw e instanceof AuthSetupError ? new UnreachableError(`${who}: ${e.message}`) : e;
  }
  const hostKeys = hostKeyCheck({
    who,
    name,
    address: conn.host,
    port: conn.port,
    file: opts.knownHostsFile ?? conn.knownHostsFile ?? join(homedir(), ".ssh", "known_hosts"),
    acceptNew: opts.acceptNewHostKeys === true,
  });
  if (hostKeys.algorithms?.length === 0) throw hostKeys.noCommonType();

  const ssh = new NodeSSH();
  try {
    const started = performance.now();
    const sock = await openSocket(conn.host, conn.port, timeoutMs);
    await ssh.connect({
      sock,
      username: conn.user,
      readyTimeout: Math.max(1, timeoutMs - (performance.now() - started)),
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => hostKeys.verify(key),
      ...(hostKeys.algorithms && { algorithms: { serverHostKey: hostKeys.algorithms } }),
      ...auth.config,
    });
  } catch (e) {
    ssh.dispose();
    if (hostKeys.refusal) throw hostKeys.refusal;
    const err = e as Error;
    if (hostKeys.algorithms && /no matching host key format/.test(err.message)) throw hostKeys.noCommonType();
    if (err.message.startsWith("Cannot parse privateKey")) {
      throw new UnreachableError(`${who}: cannot use private key file ${conn.privateKeyFile}: ${err.message.replace(/^Cannot parse privateKey: /, "")}`);
    }
    throw new UnreachableError(`${who}: ${connectFailure(err, { timeoutMs, user: conn.user, tried: auth.tried })}`);
  }
  const client = ssh.connection as unknown as SshClient;
  return new SshTransport(name, who, conn.user, ssh, client);
}

/**
 * The TCP connection, with Nagle's algorithm off from the start. ssh2 leaves it on, so each small
 * packet sent while another was unacknowledged waited for the host's delayed ACK, about 40 ms: on lab
 * hosts a handshake took 125 ms (85 ms without), each command after the first 55 ms (15 ms).
 * Errors are the socket's own (ECONNREFUSED…), or a timeout worded as ssh2's.
 */
function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error("Timed out while waiting for handshake"), { level: "client-timeout" }));
    }, timeoutMs);
    const failed = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    sock.once("error", failed);
    sock.once("connect", () => {
      clearTimeout(timer);
      // ssh2 takes the socket's errors from here; until its listener is on, one must not crash us.
      sock.off("error", failed);
      sock.on("error", () => undefined);
      resolve(sock);
    });
    sock.connect({ host, port });
  });
}

class SshTransport implements Transport {
  roundTrips = 0;
  private lost: UnreachableError | undefined;
  /** rejecters of commands still running, for when the connection goes away under them */
  private readonly running = new Set<(e: Error) => void>();
  private readonly closed: Promise<void>;

  constructor(
    readonly host: string,
    private readonly who: string,
    private readonly user: string,
    private readonly ssh: NodeSSH,
    private readonly client: SshClient,
  ) {
    // Without a listener an 'error' after connecting (a reset, a keepalive timeout) would crash the process.
    client.on("error", (e: Error) => {
      this.lost ??= new UnreachableError(`${who}: connection lost: ${lostConnection(e)}`);
    });
    this.closed = new Promise((resolve) =>
      client.once("close", () => {
        this.lost ??= new UnreachableError(`${who}: connection closed`);
        for (const reject of this.running) reject(this.lost);
        this.running.clear();
        resolve();
      }),
    );
  }

  private readonly check = (r: ExecResult) => (this.user === "root" ? undefined : sudoProblem(this.host, this.user, r));

  private open(command: string): Promise<RunningCommand> {
    if (this.lost) return Promise.reject(this.lost);
    this.roundTrips++;
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => reject(this.lost ?? new UnreachableError(`${this.who}: cannot start a command: ${e.message}`));
      try {
        this.client.exec(asRoot(command, this.user), (err, ch) => {
          if (err) return failed(err);
          let code: number | undefined;
          ch.on("exit", (c: number | null, signal?: string) => (code = exitCode(c, signal)));
          const exited = new Promise<number>((res, rej) => {
            this.running.add(rej);
            // ssh2 emits the channel's 'close' after stdout ended; stderr ends alongside.
            let stderrEnded = false;
            let channelClosed = false;
            const settle = () => {
              if (!stderrEnded || !channelClosed) return;
              this.running.delete(rej);
              if (code === undefined) rej(this.lost ?? new UnreachableError(`${this.who}: the command ended without an exit status (connection lost)`));
              else res(code);
            };
            ch.stderr.once("end", () => ((stderrEnded = true), settle()));
            ch.once("close", () => ((channelClosed = true), settle()));
          });
          resolve(new RunningCommand({ stdin: ch, stdout: ch, stderr: ch.stderr, exited }, this.check));
        });
      } catch (e) {
        failed(e as Error);
      }
    });
  }

  async exec(command: string, stdin?: string): Promise<ExecResult> {
    return (await this.open(command)).finish(stdin);
  }

  start(command: string): Promise<Session> {
    return this.open(command);
  }

  async close(): Promise<void> {
    this.lost ??= new UnreachableError(`${this.who}: connection closed`);
    this.ssh.dispose();
    // A host that vanished may never confirm; don't wait for it longer than a moment.
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
