// The faults the chaos suite injects into a lab, each with how it is healed and whose pings it
// excuses (a crashed node's own pings are lost by definition; anyone else's are not).
import { run } from "../util/exec.js";
import { projectFile } from "../util/project.js";

export type FaultKind =
  | "agent-kill"
  | "bird-restart"
  | "tinc-restart"
  | "etcd-kill"
  | "etcd-leader-kill"
  | "crash"
  | "reboot"
  | "partition-pair"
  | "isolate"
  | "split"
  | "loss"
  | "slow-link"
  // Not a fault but the same measurement: a node reinstalled (another Debian release), then
  // applied. Made by rebuildFault, never picked at random.
  | "rebuild";

export const FAULT_KINDS: readonly FaultKind[] = ["agent-kill", "bird-restart", "tinc-restart", "etcd-kill", "etcd-leader-kill", "crash", "reboot", "partition-pair", "isolate", "split", "loss", "slow-link"];

export interface ChaosLab {
  name: string;
  sshConfigFile: string;
  hosts: { name: string; address: string }[];
  /** the etcd members, by host name */
  etcd: string[];
}

export interface Fault {
  kind: FaultKind;
  /** the hosts it acts on */
  victims: string[];
  /**
   * Whether the fault cuts `from` off `to` by design: then pings between them may be lost, and
   * `to`'s routes may go from `from`'s kernel. Any other pair must not notice.
   */
  excused: (from: string, to: string) => boolean;
  /** whether `host`'s BGP session with `peer` may go down (default: when `excused`) */
  sessionExcused?: (host: string, peer: string) => boolean;
  inject(): Promise<void>;
  /** seconds the fault is held before `heal` */
  holdSeconds: number;
  heal(): Promise<void>;
}

export async function sshIn(lab: ChaosLab, host: string, command: string): Promise<string> {
  const r = await run("ssh", ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", host, command], { allowFailure: true, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${host}: '${command}' exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  return r.stdout;
}

/** The built CLI, as a user runs it. */
export const tool = (args: string[], timeoutMs = 300_000) => run(process.execPath, [projectFile("dist/cli.js"), ...args], { allowFailure: true, timeoutMs });
async function labCli(...args: string[]): Promise<void> {
  const r = await tool(["lab", ...args]);
  if (r.code !== 0) throw new Error(`lab ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
}

/** etcdctl on a member, as the cluster's administrator (root's certificate). */
const ETCDCTL = "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/bgpmesh/pki/ca.crt --cert=/etc/bgpmesh/pki/root.crt --key=/etc/bgpmesh/pki/root.key";

const addressOf = (lab: ChaosLab, host: string) => lab.hosts.find((h) => h.name === host)!.address;

const TABLE = "inet bgpmesh_chaos";
const nftInput = (rule: string) =>
  `(nft list table ${TABLE} >/dev/null 2>&1 || nft add table ${TABLE}) && ` +
  `(nft list chain ${TABLE} input >/dev/null 2>&1 || nft add chain ${TABLE} input '{ type filter hook input priority -10; }') && ` +
  `nft add rule ${TABLE} input '${rule}'`;

/** Drops, on this host, every packet from `from`'s underlay addresses: both ends call it for a two-way cut. */
function cutScript(lab: ChaosLab, from: readonly string[]): string {
  return from.map((h) => nftInput(`ip saddr ${addressOf(lab, h)} drop`)).join(" && ");
}
// The lab's controller reaches the hosts over the same bridge: its address is never dropped.
const HEAL_UNDERLAY = `nft delete table ${TABLE} 2>/dev/null; tc qdisc del dev eth0 root 2>/dev/null; true`;

const none = () => false;
const involving = (hosts: readonly string[]) => (from: string, to: string) => hosts.includes(from) || hosts.includes(to);

/** What the faults need on every host: nftables, from the lab's repository. */
export async function prepareChaos(lab: ChaosLab): Promise<void> {
  await Promise.all(lab.hosts.map((h) => sshIn(lab, h.name, "command -v nft >/dev/null || { apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -q -y install nftables >/dev/null; }")));
}

/**
 * Moving a node to another Debian release the way docs/operations.md says: the host is
 * reinstalled (`lab rebuild`: a new disk, the same SSH host keys) and the inventory applied again.
 * Its own pings and routes go while it is down; nobody else's may.
 */
export function rebuildFault(lab: ChaosLab, host: string, release: string, inventory: string, applyArgs: string[] = []): Fault {
  return {
    kind: "rebuild",
    victims: [host],
    holdSeconds: 0,
    excused: involving([host]),
    inject: () => labCli("rebuild", host, "--name", lab.name, "--release", release),
    heal: async () => {
      const r = await tool(["apply", "-i", inventory, ...applyArgs, "--no-color"], 600_000);
      if (r.code !== 0) throw new Error(`apply after rebuilding ${host} exited ${r.code}:\n${(r.stdout + r.stderr).trim().slice(-1500)}`);
    },
  };
}

/** The etcd member that leads now, asked of the first member that answers. */
export async function etcdLeader(lab: ChaosLab): Promise<string> {
  for (const member of lab.etcd) {
    const out = await sshIn(lab, member, `${ETCDCTL} endpoint status -w json`).catch(() => "");
    const status = out ? (JSON.parse(out) as { Status: { header: { member_id: string }; leader: string } }[])[0] : undefined;
    if (status && status.Status.header.member_id === status.Status.leader) return member;
    if (status) {
      // Not the leader: find whose member id it is.
      const list = await sshIn(lab, member, `${ETCDCTL} member list -w json`);
      const leader = (JSON.parse(list) as { members: { ID: string; name: string }[] }).members.find((m) => String(m.ID) === String(status.Status.leader));
      if (leader) return leader.name;
    }
  }
  throw new Error("no etcd member answered with its leader");
}

/**
 * One fault of a kind on the given hosts (`victims`: as many as the kind needs; `split` takes
 * one side of the split). Held for `holdSeconds` where holding means something.
 */
export function makeFault(lab: ChaosLab, kind: FaultKind, victims: string[], holdSeconds = 20): Fault {
  const [a, b] = victims as [string, string];
  const others = (hosts: readonly string[]) => lab.hosts.map((h) => h.name).filter((h) => !hosts.includes(h));
  const base = { kind, victims, holdSeconds, excused: none, heal: async () => {} };
  switch (kind) {
    case "agent-kill":
      // systemd starts it again (Restart=always): the record is kept, no peer notices.
      return { ...base, holdSeconds: 0, inject: async () => void (await sshIn(lab, a, "systemctl kill -s KILL bgpmesh-agent")) };
    case "bird-restart":
      // What a package upgrade does: stop (graceful restart) and start. Its sessions go down and
      // come back; its routes must stay everywhere, and every ping must be answered.
      return { ...base, holdSeconds: 0, sessionExcused: involving([a]), inject: async () => void (await sshIn(lab, a, "systemctl restart bird")) };
    case "tinc-restart":
      // Its own tunnels go for a moment, and its routes with them: tinc0 goes down and up with
      // tincd, the kernel drops the routes through it, BIRD closes its sessions (bound to tinc0)
      // and opens them again without the "forwarding kept" flag of a graceful restart, so the
      // peers drop its routes until it sends them again (0.4 s in the lab). The other nodes'
      // traffic does not pass through it: no other pair may notice.
      return { ...base, holdSeconds: 0, excused: involving([a]), inject: async () => void (await sshIn(lab, a, "systemctl restart 'tinc@*'")) };
    case "etcd-kill":
    case "etcd-leader-kill":
      return { ...base, holdSeconds: 0, inject: async () => void (await sshIn(lab, a, "systemctl kill -s KILL etcd")) };
    case "crash":
      return {
        ...base,
        excused: involving([a]),
        inject: () => labCli("crash", "--name", lab.name, a),
        heal: () => labCli("up", "--name", lab.name, "--hosts", String(lab.hosts.length)),
      };
    case "reboot":
      return {
        ...base,
        holdSeconds: 0,
        excused: involving([a]),
        // The connection ends as the host goes down: that is not a failure.
        inject: async () => void (await sshIn(lab, a, "systemctl reboot").catch(() => "")),
      };
    case "partition-pair":
      return {
        ...base,
        excused: (f, t) => (f === a && t === b) || (f === b && t === a),
        inject: async () => void (await Promise.all([sshIn(lab, a, cutScript(lab, [b])), sshIn(lab, b, cutScript(lab, [a]))])),
        heal: async () => void (await Promise.all([sshIn(lab, a, HEAL_UNDERLAY), sshIn(lab, b, HEAL_UNDERLAY)])),
      };
    case "isolate":
      return {
        ...base,
        excused: involving([a]),
        inject: async () => void (await Promise.all([sshIn(lab, a, cutScript(lab, others([a]))), ...others([a]).map((h) => sshIn(lab, h, cutScript(lab, [a])))])),
        heal: async () => void (await Promise.all(lab.hosts.map((h) => sshIn(lab, h.name, HEAL_UNDERLAY)))),
      };
    case "split": {
      const other = others(victims);
      const across = (f: string, t: string) => victims.includes(f) !== victims.includes(t);
      return {
        ...base,
        excused: across,
        inject: async () => void (await Promise.all([...victims.map((h) => sshIn(lab, h, cutScript(lab, other))), ...other.map((h) => sshIn(lab, h, cutScript(lab, victims)))])),
        heal: async () => void (await Promise.all(lab.hosts.map((h) => sshIn(lab, h.name, HEAL_UNDERLAY)))),
      };
    }
    case "loss":
      // A fifth of what reaches the host lost, both ways for TCP (its acks go too).
      return {
        ...base,
        excused: involving([a]),
        inject: async () => void (await sshIn(lab, a, nftInput("numgen random mod 100 < 20 drop"))),
        heal: async () => void (await sshIn(lab, a, HEAL_UNDERLAY)),
      };
    case "rebuild":
      throw new Error("a rebuild needs an inventory to apply: rebuildFault()");
    case "slow-link":
      // Everything the host sends queues behind 256 kbit/s, up to 300 ms.
      return {
        ...base,
        excused: involving([a]),
        inject: async () => void (await sshIn(lab, a, "tc qdisc replace dev eth0 root tbf rate 256kbit burst 16kb latency 300ms")),
        heal: async () => void (await sshIn(lab, a, HEAL_UNDERLAY)),
      };
  }
}
