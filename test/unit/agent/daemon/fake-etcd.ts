// A small in-memory etcd for the daemon tests: keys attached to leases (a put moves a key to its
// lease, a revoke deletes the keys the lease still holds, as etcd does), watchers that see every
// put and delete, and several clients on one store, each of which can be made to fail like a
// client with a bad certificate. Every call is written to `log`, so tests can check the order.
import { EventEmitter } from "node:events";
import type { Etcd3 } from "etcd3";

export interface ClientFaults {
  /** Range reads fail with this message. */
  read?: string;
  /** Lease grants fail with this message. */
  grant?: string;
  /** Puts fail with this message. */
  put?: string;
}

class FakeWatcher extends EventEmitter {
  constructor(private readonly store: FakeEtcd, readonly client: string) {
    super();
  }
  async cancel() {
    this.store.watchers.delete(this);
    this.store.log.push(`${this.client} cancel watch`);
  }
}

class FakeLease extends EventEmitter {
  id: string | undefined;
  revoked = false;
  constructor(private readonly store: FakeEtcd, private readonly client: string, private readonly faults: ClientFaults) {
    super();
  }
  async grant() {
    if (this.faults.grant) {
      this.emit("lost", new Error(this.faults.grant));
      throw new Error(this.faults.grant);
    }
    this.id ??= this.store.grant(this);
    this.store.log.push(`${this.client} grant ${this.id}`);
    return this.id;
  }
  put(key: string) {
    return {
      value: (v: string) => ({
        exec: async () => {
          if (this.faults.put) throw new Error(this.faults.put);
          this.store.log.push(`${this.client} put ${key} ${this.id}`);
          this.store.put(key, v, this.id);
        },
      }),
    };
  }
  async revoke() {
    this.revoked = true;
    this.store.log.push(`${this.client} revoke ${this.id}`);
    if (this.id) this.store.revoke(this.id);
  }
  release() {
    this.store.log.push(`${this.client} release ${this.id ?? "(not granted)"}`);
  }
}

export class FakeEtcd {
  readonly kvs = new Map<string, { value: string; lease?: string }>();
  readonly leases = new Set<string>();
  readonly watchers = new Set<FakeWatcher>();
  readonly log: string[] = [];
  /** Every delete any watcher was sent. */
  readonly deletes: string[] = [];
  revision = 10;
  private leaseCount = 0;
  private readonly history: { revision: number; type: "put" | "delete"; key: string; value: string }[] = [];

  private readonly holders = new Map<string, FakeLease>();

  grant(holder?: FakeLease): string {
    const id = `L${++this.leaseCount}`;
    this.leases.add(id);
    if (holder) this.holders.set(id, holder);
    return id;
  }

  put(key: string, value: string, lease?: string): void {
    this.revision++;
    this.kvs.set(key, { value, lease });
    this.history.push({ revision: this.revision, type: "put", key, value });
    for (const w of this.watchers) w.emit("put", { key: Buffer.from(key), value: Buffer.from(value) });
  }

  /** Revokes a lease; its holder, unless it revoked it itself, hears it is lost (as etcd3's keepalive would tell it). */
  revoke(lease: string): void {
    this.leases.delete(lease);
    const holder = this.holders.get(lease);
    if (holder && !holder.revoked) holder.emit("lost", new Error("lease revoked"));
    for (const [key, kv] of [...this.kvs]) {
      if (kv.lease !== lease) continue;
      this.revision++;
      this.kvs.delete(key);
      this.deletes.push(key);
      this.history.push({ revision: this.revision, type: "delete", key, value: "" });
      for (const w of this.watchers) w.emit("delete", { key: Buffer.from(key), value: Buffer.from("") });
    }
  }

  client(name: string, faults: ClientFaults = {}): Etcd3 {
    const client = {
      lease: () => new FakeLease(this, name, faults),
      getAll: () => ({
        prefix: (p: string) => {
          const range = {
            // A member-local read is all this one-member fake has.
            serializable: () => range,
            revision: () => range,
            exec: async () => {
              if (faults.read) throw new Error(faults.read);
              this.log.push(`${name} read ${p}`);
              return {
                header: { revision: String(this.revision) },
                kvs: [...this.kvs].filter(([k]) => k.startsWith(p)).map(([k, kv]) => ({ key: Buffer.from(k), value: Buffer.from(kv.value) })),
              };
            },
          };
          return range;
        },
      }),
      watch: () => {
        let from = 0;
        const b = {
          prefix: () => b,
          startRevision: (r: string) => ((from = Number(r)), b),
          watcher: () => {
            const w = new FakeWatcher(this, name);
            this.log.push(`${name} watch`);
            // As etcd does: first the events since the start revision, then the new ones (once the
            // caller has its handlers on).
            queueMicrotask(() => {
              for (const ev of this.history) {
                if (ev.revision >= from) w.emit(ev.type, { key: Buffer.from(ev.key), value: Buffer.from(ev.value) });
              }
              this.watchers.add(w);
            });
            return w;
          },
        };
        return b;
      },
      close: () => this.log.push(`${name} close`),
    };
    return client as unknown as Etcd3;
  }
}
