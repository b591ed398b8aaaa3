// Security on real lab hosts: etcd over TLS with a CA kept beside the inventory, node keys made on
// the nodes, per-node rights in etcd, BGP sessions with a password from an encrypted secrets file,
// certificate rotation without a flap, and no secret or private key anywhere it should not be.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { run, type RunResult } from "../../src/util/exec.js";
import { projectFile } from "../../src/util/project.js";
import { cli, ssh, sshOk, type LabInfo } from "../helpers/cli.js";
import { labPerFile } from "../helpers/lab-per-file.js";
import { meshInventory } from "../helpers/mesh-inventory.js";

const NAME = "e2e-security";
const PASSWORD = "bgp-Pw-7Hq2xZ";
const TOKEN = "etcd-T0ken-k3v9";
const WRONG = "wr0ng-Pw-aa81";
let lab: LabInfo;
let work: string;
let inventory: string;
const seen: string[] = [];

async function tool(...args: string[]): Promise<RunResult> {
  const r = await cli(...args, "--no-color");
  seen.push(r.stdout, r.stderr);
  return r;
}
async function toolOk(...args: string[]): Promise<string> {
  const r = await tool(...args);
  if (r.code !== 0) throw new Error(`bgpmesh-provision ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}
/** etcdctl on a host as that host (its node certificate, from the etcd_client role's settings). */
const asNode = (host: string, args: string) => ssh(lab, host, `set -a; . /etc/bgpmesh/etcd.env; set +a; etcdctl ${args} 2>&1`);
const established = async (host: string) => (await sshOk(lab, host, "birdc show protocols")).split("\n").filter((l) => /^peer_\S+.*Established/.test(l)).map((l) => l.split(/\s+/)[0]);

labPerFile(NAME, 3, (l, w) => {
  lab = l;
  work = w;
});

beforeAll(async () => {
  inventory = join(work, "inventory.yml");
  writeFileSync(inventory, meshInventory(lab, { etcd: lab.hosts.map((h) => h.name) }));
  const key = join(work, "secrets.key");
  writeFileSync(key, "lab-secrets-key-0123456789abcdef\n", { mode: 0o600 });
  chmodSync(key, 0o600);
  process.env.BGPMESH_SECRETS_KEY_FILE = key;
  mkdirSync(join(work, "group_vars", "all"), { recursive: true });
  const create = await run(process.execPath, [projectFile("dist/cli.js"), "secrets", "create", "--stdin", join(work, "group_vars", "all", "secrets.yml.age")], {
    input: `bgp_password: ${PASSWORD}\netcd_cluster_token: ${TOKEN}\n`,
    allowFailure: true,
  });
  expect(create.code, create.stderr).toBe(0);
});

describe("security", () => {
  it("a full apply with an encrypted secrets file: etcd over TLS with per-node users, the mesh converges", async () => {
    const planOut = await toolOk("plan", "-i", inventory, "--out", join(work, "plan.json"), "--json", join(work, "plan-report.json"));
    expect(planOut).toMatch(/issue certificate \/etc\/bgpmesh\/pki\/node\.crt\s+CN=node1 IP:10\.213\.\d+\.11 IP:127\.0\.0\.1, 365 days: new key/);
    await toolOk("apply", join(work, "plan.json"), "--json", join(work, "apply-report.json"));
    await toolOk("verify", "-i", inventory, "--wait", "60s");
    // The CA was made beside the inventory, its key for its owner only; plan now shows expiries.
    expect(statSync(join(work, "pki", "ca.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, "pki", ".gitignore"), "utf8")).toContain("ca.key");
    expect(await toolOk("plan", "-i", inventory)).toMatch(/i certificate \/etc\/bgpmesh\/pki\/node\.crt \(CN=node2\) valid until \d{4}-\d\d-\d\d, 36[45] days/);
    // Every session carries the password (TCP MD5) from the encrypted file.
    expect(await sshOk(lab, "node1", "grep -c 'password \"' /etc/bird/peers.d/peers.conf")).toBe("2\n");
    expect(await established("node1")).toEqual(["peer_node2", "peer_node3"]);
    // Files on the hosts that hold a secret are for root (and the daemon that needs them) only.
    expect(await sshOk(lab, "node1", "stat -c '%n %a %U' /etc/default/etcd /etc/bgpmesh/agent.json")).toBe(
      "/etc/default/etcd 600 root\n/etc/bgpmesh/agent.json 600 root\n",
    );
  });

  it("with node1's certificate, node1's record can be written and node2's cannot", async () => {
    // Its own record, put back as it is, under the agent's lease (etcdctl prints the lease in decimal).
    const ownPut = await ssh(
      lab,
      "node1",
      "set -a; . /etc/bgpmesh/etcd.env; set +a; v=$(etcdctl get /peers/node1 --print-value-only); " +
        "l=$(etcdctl get /peers/node1 -w fields | sed -n 's/^\"Lease\" : //p'); etcdctl put --lease=$(printf %x \"$l\") /peers/node1 \"$v\" 2>&1",
    );
    expect(ownPut.stdout).toContain("OK");
    const value = (await asNode("node1", "get /peers/node1 --print-value-only")).stdout.trim();
    const other = await asNode("node1", `put /peers/node2 '${value}'`);
    expect(other.stdout).toMatch(/permission denied/);
    expect((await asNode("node1", "put /elsewhere x")).stdout).toMatch(/permission denied/);
    expect((await asNode("node2", "get /peers/ --prefix --keys-only")).stdout.split("\n").filter(Boolean)).toEqual(["/peers/node1", "/peers/node2", "/peers/node3"]);
  });

  it("a client without a certificate, or on plain http, cannot read or write the cluster", async () => {
    const a = lab.hosts[0]!.address;
    const base = "ETCDCTL_API=3 timeout 15 etcdctl --dial-timeout=3s --command-timeout=5s";
    const noCert = await ssh(lab, "node2", `${base} --endpoints=https://${a}:2379 --cacert=/etc/bgpmesh/pki/ca.crt get /peers/ --prefix 2>&1; echo "exit=$?"`);
    expect(noCert.stdout).not.toMatch(/exit=0/);
    expect(noCert.stdout).not.toContain("/peers/node1");
    const plain = await ssh(lab, "node2", `${base} --endpoints=http://${a}:2379 put /peers/node1 x 2>&1; echo "exit=$?"`);
    expect(plain.stdout).not.toMatch(/exit=0/);
    const log = await sshOk(lab, "node1", "journalctl -u etcd --since -2min --no-pager -o cat | grep -c 'rejected connection' || true");
    expect(Number(log.trim())).toBeGreaterThan(0);
  });

  it("a BGP session whose password does not match stays down; the right password brings it up", async () => {
    mkdirSync(join(work, "host_vars"), { recursive: true });
    writeFileSync(join(work, "host_vars", "node3.yml"), `bgp_password: !secret ${WRONG}\n`);
    await toolOk("apply", "-i", inventory, "-l", "node3");
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await established("node1")).toEqual(["peer_node2"]);
    expect(await established("node3")).toEqual([]);
    rmSync(join(work, "host_vars", "node3.yml"));
    await toolOk("apply", "-i", inventory, "-l", "node3");
    await toolOk("verify", "-i", inventory, "--wait", "60s");
    // Every node's sessions, not node1's alone: the other side of a session that failed on the
    // password reconnects on BGP's own retry timers (node3's record stays through its agent's
    // restart, so no peer resets the session), which took up to 8 s on node2.
    for (let i = 0; i < 60; i++) {
      const all = await Promise.all(["node1", "node2", "node3"].map((h) => established(h)));
      if (all.every((s) => s.length === 2)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await established("node1")).toEqual(["peer_node2", "peer_node3"]);
    expect(await established("node2")).toEqual(["peer_node1", "peer_node3"]);
    expect(await established("node3")).toEqual(["peer_node1", "peer_node2"]);
  });

  it("a re-run never replaces a key: tinc's stays when tinc_key_bits changes, etcd's when its certificate is renewed", async () => {
    const keys = "sha256sum /etc/tinc/bgpmesh/rsa_key.priv /etc/bgpmesh/pki/node.key";
    const before = await sshOk(lab, "node2", keys);
    expect(await sshOk(lab, "node2", "openssl rsa -in /etc/tinc/bgpmesh/rsa_key.priv -noout -text | head -1")).toContain("2048 bit");
    await toolOk("apply", "-i", inventory, "-l", "node2", "-e", "tinc_key_bits=4096");
    expect(await sshOk(lab, "node2", keys)).toBe(before);
  });

  it("renewing every certificate keeps the mesh converged throughout: no session drops, no record is deleted", async () => {
    const before = await sshOk(lab, "node1", "openssl x509 -in /etc/bgpmesh/pki/node.crt -noout -serial");
    const watch = ssh(lab, "node2", "set -a; . /etc/bgpmesh/etcd.env; set +a; timeout 40 etcdctl watch --prefix /peers/ 2>/dev/null");
    await new Promise((r) => setTimeout(r, 1000));
    let sampling = true;
    const samples: string[][] = [];
    const sampler = (async () => {
      while (sampling) {
        samples.push(await established("node2"));
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const out = await toolOk("apply", "-i", inventory, "--renew-certs");
    expect(out.match(/signed \/etc\/bgpmesh\/pki\/node\.crt/g)).toHaveLength(3);
    // The agents notice new files within 10 s and switch to a client with the new certificate.
    await new Promise((r) => setTimeout(r, 15_000));
    sampling = false;
    await sampler;
    const events = (await watch).stdout;
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.length !== 2)).toEqual([]);
    expect(events).not.toContain("DELETE");
    expect(events.match(/^PUT$/gm)?.length).toBe(3);
    expect(await sshOk(lab, "node1", "openssl x509 -in /etc/bgpmesh/pki/node.crt -noout -serial")).not.toBe(before);
    expect(await sshOk(lab, "node1", "journalctl -u bgpmesh-agent --since -1min --no-pager -o cat")).toMatch(/now on the new etcd client \(CN=node1/);
    await toolOk("verify", "-i", inventory, "--wait", "30s");
  });

  it("no secret value and no private key appears in any output, plan file, report, log or controller file (the CA key aside)", async () => {
    const hostKeys: string[] = [];
    for (const h of lab.hosts) {
      const keys = await sshOk(lab, h.name, "cat /etc/bgpmesh/pki/node.key /etc/bgpmesh/pki/root.key /etc/tinc/bgpmesh/rsa_key.priv");
      hostKeys.push(...keyLines(keys));
      // what the tool's agent logged, and what every run left on the host (etcd's own log is not the
      // tool's: etcd prints its cluster token at start)
      seen.push(await sshOk(lab, h.name, "journalctl -u bgpmesh-agent --no-pager -o cat; cat /var/lib/bgpmesh/last-run.json"));
    }
    const caKey = keyLines(readFileSync(join(work, "pki", "ca.key"), "utf8"));
    expect(hostKeys.length).toBeGreaterThan(20);
    const needles = [PASSWORD, TOKEN, WRONG, ...hostKeys, ...caKey];
    const files = filesUnder(work).filter((f) => f !== join(work, "pki", "ca.key"));
    // the lab's own files on the controller (its SSH login key is the lab's, not the tool's output)
    files.push(...["inventory.yml", "known_hosts", "ssh_config", "lab.json"].map((f) => join(lab.dir, f)));
    expect(files).toEqual(expect.arrayContaining([join(work, "plan.json"), join(work, "plan-report.json"), join(work, "apply-report.json")]));
    const haystacks = [...seen.map((text, i) => ({ where: `output #${i}`, text })), ...files.map((f) => ({ where: f, text: readFileSync(f, "latin1") }))];
    const found = haystacks.flatMap((h) => needles.filter((n) => h.text.includes(n)).map((n) => `${h.where}: ${n.slice(0, 12)}…`));
    expect(found).toEqual([]);
    // ...and the CA key was never uploaded to a host.
    for (const h of lab.hosts) {
      const r = await ssh(lab, h.name, `grep -rlF -e ${JSON.stringify(caKey[1])} /etc /var/lib /usr/local /root /tmp 2>/dev/null`);
      expect(r.stdout).toBe("");
    }
  });
});

/** The body lines of PEM private keys: what would give a key away if found anywhere. */
function keyLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}
