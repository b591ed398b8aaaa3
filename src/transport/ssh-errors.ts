// ssh2's and the socket's errors, said in plain words for someone looking at a list of hosts.

type SshError = Error & { code?: string; level?: string };

const SOCKET: Record<string, string> = {
  ECONNREFUSED: "connection refused (is sshd running, and on this port?)",
  EHOSTUNREACH: "no route to host (is it up, and is the address right?)",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset by the host",
  EPIPE: "connection reset by the host",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "unknown host name",
  EAI_AGAIN: "host name lookup failed (DNS not answering)",
};

export interface ConnectContext {
  timeoutMs: number;
  user: string;
  /** the credentials offered, e.g. "key file /x/id_ed25519" */
  tried: string;
}

/** Why connecting failed, without the host prefix. */
export function connectFailure(e: SshError, ctx: ConnectContext): string {
  const known = e.code ? SOCKET[e.code] : undefined;
  if (known) return known;
  if (e.level === "client-timeout" || /timed out/i.test(e.message)) {
    return `connection timed out after ${seconds(ctx.timeoutMs)}`;
  }
  if (e.level === "client-authentication") {
    return `login as '${ctx.user}' refused: the host accepted none of the keys offered (${ctx.tried})`;
  }
  if (e.message === "No response from server") return "the host closed the connection before SSH was set up";
  if (e.level === "handshake" || e.level === "protocol") return `SSH handshake failed: ${e.message.replace(/^Handshake failed: /, "")}`;
  return e.message;
}

/** Why an established connection went away. */
export function lostConnection(e: SshError): string {
  if (e.level === "client-timeout" || /keepalive/i.test(e.message)) return "the host stopped answering (keepalive timeout)";
  const known = e.code ? SOCKET[e.code] : undefined;
  return known ?? e.message;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}
