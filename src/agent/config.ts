// The agent's config file (JSON, /etc/bgpmesh/agent.json), written by the provisioner's agent
// role. It is checked once at start: a mistake stops the agent with one line per problem naming
// the file and the key, rather than surfacing later as a file rendered wrong.
//
//   {
//     "name": "node1",                         tinc name of this node (the provisioner's tinc_name)
//     "meshName": "bgpmesh",                   tinc network: /etc/tinc/<meshName>, unit tinc@<meshName>
//     "meshAddress": "10.0.0.11",              this node's address on the mesh interface
//     "meshSubnet": "10.0.0.0/24",             optional: a peer whose mesh address is not a host address of it is refused
//     "meshAddress6": "fd90:91b4:498c::3a7",   optional (mesh_ipv6): this node's IPv6 address on the mesh interface,
//     "meshSubnet6": "fd90:91b4:498c::/64",      with the /64 it is in; both or neither
//     "prefixes6": ["2001:db8:100::/48"],      optional, default []: announced IPv6 prefixes (in the /ipv6/peers/ record)
//     "requireAllocations": true,              optional, default false: a peer counts only when its record agrees with its
//                                              allocation (/allocations/<name>), and BIRD imports only its allocated prefixes
//     "routerId": "10.0.0.11",                 BIRD's router id
//     "tincPort": 655,                         optional, default 655
//     "tincKeyExpireSeconds": 30,              optional, default 30: tinc's KeyExpire (see desired-files.ts)
//     "endpointAddress": "192.0.2.11",         where other nodes' tinc reaches this one (IPv4, IPv6 or DNS name)
//     "prefixes": ["198.51.100.0/26"],         optional, default []: announced prefixes (published in the record)
//     "meshInterface": "tinc0",                optional, default tinc0
//     "etcdEndpoints": ["https://192.0.2.11:2379"],
//     "etcdTls": {                             optional; when set, every endpoint must be https://
//       "caFile": "/etc/bgpmesh/tls/ca.crt",     the CA that signed etcd's server certificates
//       "certFile": "/etc/bgpmesh/tls/node1.crt", this node's client certificate (CN = name: the etcd user)
//       "keyFile": "/etc/bgpmesh/tls/node1.key"   its private key
//     },
//     "bgpPassword": "...",                    optional: TCP MD5 password of every BGP session (see docs/agent-security.md)
//     "bgpTimers": { "holdSeconds": 90, "keepaliveSeconds": 30 },
//                                              optional: hold and keepalive of sessions created from now on (BFD on);
//                                              without it, sessions take bird.conf's template (see bgp-sessions.ts)
//     "bgpGracefulRestart": { "restartSeconds": 60, "bfdGraceful": true },
//                                              optional: graceful restart on sessions created from now on; bfdGraceful:
//                                              a peer lost to BFD keeps its routes too (see bgp-sessions.ts)
//     "metricsPort": 2112,                     optional, default 2112
//     "hostFileGraceSeconds": 300,             optional, default 300: a departed peer's tinc host file is kept this long
//     "leaseTtlSeconds": 10,                   optional, default 10: TTL of the lease that keeps /peers/<name> alive (the provisioner writes more for a mesh beyond 30 nodes)
//     "paths": {                               optional, each with a default:
//       "tincDir": "/etc/tinc",                  the network is <tincDir>/<meshName>
//       "birdConf": "/etc/bird/bird.conf",       checked with `bird -p -c` before `birdc configure`
//       "birdPeersDir": "/etc/bird/peers.d"      the agent writes peers.conf here
//     }
//   }
import { readFileSync } from "node:fs";
import { z } from "zod";
import { BGP_GRACEFUL_RESTART_TIME, BGP_HOLD_TIME, BGP_KEEPALIVE_TIME, birdPasswordField, keepaliveFitsHold } from "../fields/bird.js";
import { isHostAddressOf, meshSubnetField, prefixListField, routerIdField, unicastIpv4Field } from "../fields/ipv4.js";
import { describeIssues } from "../fields/issues.js";
import { LEASE_TTL, LEASE_TTL_BASE } from "../fields/lease.js";
import { interfaceNameField, meshNameField, tincNameField } from "../fields/names.js";
import { portField } from "../fields/ports.js";
import { isHostAddress6Of, meshSubnet6Field, unicastIpv6Field } from "../fields/ipv6.js";
import { prefix6ListField } from "../fields/prefix-list6.js";
import { endpointAddressField, TINC_KEY_EXPIRE } from "../fields/tinc.js";

// Absolute, normalised, plain characters: these paths are joined with file names and passed to
// `bird -p -c` as an argument; "..", spaces and newlines have no business in them.
const absolutePath = z
  .string()
  .regex(/^(?:\/[A-Za-z0-9_.-]+)+$/, { error: "must be an absolute path of letters, digits, _ . -" })
  .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), { error: "must not contain . or .. segments" });

const etcdEndpoint = z
  .string()
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.username === "" && u.password === "";
      } catch {
        return false;
      }
    },
    { error: "must be an http:// or https:// URL without credentials" },
  );

// The files are read again when they change (certificate rotation): see daemon/tls-reload.ts.
const etcdTlsSchema = z.strictObject({
  caFile: absolutePath,
  certFile: absolutePath,
  keyFile: absolutePath,
});

const seconds = (min: number, max: number) =>
  z
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number of seconds" })
    .min(min, { error: `must be from ${min} to ${max} seconds` })
    .max(max, { error: `must be from ${min} to ${max} seconds` });

const bgpTimersSchema = z
  .strictObject({
    holdSeconds: seconds(BGP_HOLD_TIME.min, BGP_HOLD_TIME.max),
    keepaliveSeconds: seconds(BGP_KEEPALIVE_TIME.min, BGP_KEEPALIVE_TIME.max),
  })
  .refine((t) => keepaliveFitsHold(t.holdSeconds, t.keepaliveSeconds), { error: "keepaliveSeconds must be at most a third of holdSeconds", path: ["keepaliveSeconds"] });

const bgpGracefulRestartSchema = z.strictObject({
  restartSeconds: seconds(BGP_GRACEFUL_RESTART_TIME.min, BGP_GRACEFUL_RESTART_TIME.max),
  bfdGraceful: z.boolean({ error: "must be true or false" }).default(false),
});

const pathsSchema = z.strictObject({
  tincDir: absolutePath.default("/etc/tinc"),
  birdConf: absolutePath.default("/etc/bird/bird.conf"),
  birdPeersDir: absolutePath.default("/etc/bird/peers.d"),
});

export const agentConfigSchema = z.strictObject({
  name: tincNameField,
  meshName: meshNameField,
  meshAddress: unicastIpv4Field,
  // Optional for configs written before it existed; with it, peers outside the subnet are refused.
  meshSubnet: meshSubnetField.optional(),
  meshAddress6: unicastIpv6Field.optional(),
  meshSubnet6: meshSubnet6Field.optional(),
  prefixes6: prefix6ListField.default([]),
  // True where the controller publishes allocations (etcd over TLS, where only it may write them).
  requireAllocations: z.boolean({ error: "must be true or false" }).default(false),
  routerId: routerIdField,
  tincPort: portField.default(655),
  tincKeyExpireSeconds: seconds(TINC_KEY_EXPIRE.min, TINC_KEY_EXPIRE.max).default(30),
  endpointAddress: endpointAddressField,
  prefixes: prefixListField.default([]),
  meshInterface: interfaceNameField.default("tinc0"),
  etcdEndpoints: z.array(etcdEndpoint).min(1, { error: "must list at least one etcd endpoint" }),
  metricsPort: portField.default(2112),
  hostFileGraceSeconds: seconds(0, 7 * 24 * 3600).default(300),
  leaseTtlSeconds: seconds(LEASE_TTL.min, LEASE_TTL.max).default(LEASE_TTL_BASE.seconds),
  paths: pathsSchema.prefault({}),
  etcdTls: etcdTlsSchema.optional(),
  bgpPassword: birdPasswordField.optional(),
  bgpTimers: bgpTimersSchema.optional(),
  bgpGracefulRestart: bgpGracefulRestartSchema.optional(),
}).superRefine((c, ctx) => {
  if (c.meshSubnet && !isHostAddressOf(c.meshSubnet, c.meshAddress)) {
    ctx.addIssue({ code: "custom", path: ["meshAddress"], message: "must be a host address of meshSubnet" });
  }
  if ((c.meshAddress6 === undefined) !== (c.meshSubnet6 === undefined)) {
    ctx.addIssue({ code: "custom", path: [c.meshAddress6 === undefined ? "meshAddress6" : "meshSubnet6"], message: "must be set with meshAddress6 and meshSubnet6 both, or neither" });
  } else if (c.meshAddress6 && c.meshSubnet6 && !isHostAddress6Of(c.meshSubnet6, c.meshAddress6)) {
    ctx.addIssue({ code: "custom", path: ["meshAddress6"], message: "must be a host address of meshSubnet6" });
  }
  if (c.prefixes6.length > 0 && c.meshAddress6 === undefined) {
    ctx.addIssue({ code: "custom", path: ["prefixes6"], message: "needs meshAddress6: IPv6 prefixes go over the IPv6 sessions" });
  }
  // etcd3 uses one set of credentials for every host: with etcdTls it would speak TLS to an http://
  // port, and an https:// endpoint without it would connect as no etcd user at all.
  c.etcdEndpoints.forEach((endpoint, i) => {
    const https = endpoint.startsWith("https://");
    if (c.etcdTls && !https) ctx.addIssue({ code: "custom", path: ["etcdEndpoints", i], message: "must be https:// when etcdTls is set" });
    if (!c.etcdTls && https) ctx.addIssue({ code: "custom", path: ["etcdEndpoints", i], message: "is https://: set etcdTls (caFile, certFile, keyFile) as well" });
  });
});

export type AgentConfig = z.output<typeof agentConfigSchema>;

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/** Validates config text; `source` names it in errors (the file path). */
export function parseConfig(text: string, source: string): AgentConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AgentConfigError(`${source}: not valid JSON${jsonErrorPlace(text, e)}`);
  }
  const parsed = agentConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new AgentConfigError(describeIssues(parsed.error.issues, json).map((line) => `${source}: ${line}`).join("\n"));
  }
  return parsed.data;
}

/**
 * Where JSON.parse stopped, as " (line L, column C)", or "". Never V8's message itself: since
 * Node 20 it quotes the text around the error, which may be the BGP password.
 */
function jsonErrorPlace(text: string, e: unknown): string {
  const m = /at position (\d+)/.exec(e instanceof Error ? e.message : "");
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` (line ${line}, column ${column})`;
}

/** Reads and validates the config file; every error names the file, and the key when there is one. */
export function loadConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new AgentConfigError(`${path}: cannot read the agent config: ${err.code ?? err.message}`);
  }
  return parseConfig(text, path);
}
