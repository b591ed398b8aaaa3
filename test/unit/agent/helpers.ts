// Shared fixtures for the agent's unit tests: real RSA keys (made once per file: 2048-bit
// generation takes tens of milliseconds), records and a config.
import { generateKeyPairSync } from "node:crypto";
import { parseConfig, type AgentConfig } from "../../../src/agent/config.js";
import { parseRecord, type PeerRecord } from "../../../src/agent/record.js";

export function rsaPublicKey(bits = 2048): string {
  return generateKeyPairSync("rsa", { modulusLength: bits, publicKeyEncoding: { type: "pkcs1", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } }).publicKey;
}

let cachedKey: string | undefined;
/** One 2048-bit key reused by every record that does not care which key it has. */
export function sharedKey(): string {
  return (cachedKey ??= rsaPublicKey());
}

/** A record's JSON fields, valid unless a test overrides them. */
export function recordFields(name: string, index: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    meshAddress: `10.0.0.${index}`,
    routerId: `10.0.0.${index}`,
    tincPublicKey: sharedKey(),
    endpoint: { address: `192.0.2.${index}`, port: 655 },
    prefixes: [],
    version: 1,
    ...overrides,
  };
}

/** A parsed, valid record (through parseRecord, as the agent gets them). */
export function record(name: string, index: number, overrides: Record<string, unknown> = {}): PeerRecord {
  const r = parseRecord(`/peers/${name}`, JSON.stringify(recordFields(name, index, overrides)));
  if (!r.ok) throw new Error(`fixture record ${name}: ${r.reason}`);
  return r.record;
}

export function config(overrides: Record<string, unknown> = {}): AgentConfig {
  return parseConfig(
    JSON.stringify({
      name: "node1",
      meshName: "bgpmesh",
      meshAddress: "10.0.0.1",
      routerId: "10.0.0.1",
      endpointAddress: "192.0.2.1",
      etcdEndpoints: ["http://192.0.2.1:2379"],
      ...overrides,
    }),
    "test-config.json",
  );
}

export function peerMap(records: readonly PeerRecord[]): Map<string, PeerRecord> {
  return new Map(records.map((r) => [r.name, r]));
}

/** A deterministic shuffle (no flaky test): Fisher-Yates driven by a small LCG. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
