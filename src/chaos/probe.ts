// The traffic probe and route sampler of the chaos suite: on every host, over one SSH connection
// each, `ping` to every other node's mesh address every 0.2 s and a sample of BIRD's kernel
// routes and its peer sessions every 0.2 s, streamed back and parsed (samples.ts). A host that
// goes away takes its own stream with it; `restart` starts it again once the host is back.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { isPing, parseProbeLine, type PingSample, type RouteSample } from "./samples.js";

export interface ProbeTarget {
  name: string;
  meshAddress: string;
}

export interface SshTarget {
  sshConfigFile: string;
}

const INTERVAL = 0.2;

/**
 * The script each host runs. `ping -O` says "no answer yet" for a ping unanswered when the next
 * one goes out, so a lost ping is a line, not a silence; stdbuf makes ping write each line as it
 * happens. The script ends by itself after `maxSeconds`, so nothing is left on a host whose
 * connection was cut. BIRD's routes: `ip route` with proto bird, the kernel's view, which is
 * what forwarding uses.
 */
export function probeScript(peers: readonly ProbeTarget[], maxSeconds: number): string {
  const pings = peers
    .map((p) => `(stdbuf -oL ping -D -O -n -i ${INTERVAL} -W 1 ${p.meshAddress} 2>&1 | while IFS= read -r l; do echo "P ${p.name} $l"; done) &`)
    .join("\n");
  return `exec timeout ${maxSeconds} bash -c '
${pings.replace(/'/g, "'\\''")}
while :; do
  r=$(ip -o route show proto bird | cut -d" " -f1 | sort | tr "\\n" ,)
  d=$(birdc -r show protocols 2>/dev/null | awk "/^peer_/ && !/Established/ {printf \\"%s,\\", \\$1}")
  echo "R $(date +%s.%N) $r $d"
  sleep ${INTERVAL}
done'`;
}

export class MeshProbe {
  readonly pings: PingSample[] = [];
  readonly routes: RouteSample[] = [];
  private readonly streams = new Map<string, ChildProcess>();

  constructor(
    private readonly lab: SshTarget,
    private readonly targets: readonly ProbeTarget[],
    private readonly maxSeconds = 3600,
  ) {}

  start(): void {
    for (const t of this.targets) this.restart(t.name);
  }

  /** (Re)starts the stream of one host: after it rebooted, or to begin. */
  restart(host: string): void {
    this.streams.get(host)?.kill("SIGKILL");
    const peers = this.targets.filter((t) => t.name !== host);
    const child = spawn("ssh", ["-F", this.lab.sshConfigFile, "-o", "BatchMode=yes", "-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3", host, probeScript(peers, this.maxSeconds)], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    this.streams.set(host, child);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const s = parseProbeLine(host, line);
      if (!s) return;
      if (isPing(s)) this.pings.push(s);
      else this.routes.push(s);
    });
  }

  /** Ends every stream (the hosts' scripts end with their connection, or by their own timeout). */
  stop(): void {
    for (const c of this.streams.values()) c.kill("SIGKILL");
    this.streams.clear();
  }
}
