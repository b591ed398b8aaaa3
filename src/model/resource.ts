// The desired state of one host, as the roles describe it after rendering: plain data, no secrets
// hidden inside objects. Every resource kind adds its own fields (see src/resources/<kind>.ts);
// the engine reads only the fields named here and leaves the rest to the kind.

export interface Origin {
  /** where the resource or value was declared, e.g. "roles/demo/role.yml:12" */
  where: string;
}

/**
 * What every resource has. A kind's own type is a type alias of this plus its fields (an alias,
 * not an interface, so that it stays assignable to `Resource` and its index signature).
 */
export type ResourceBase = {
  /** the resource kind, which the registry maps to the module that plans it */
  kind: string;
  origin: Origin;
  /** handlers a change of this resource notifies */
  notify?: string[];
  /** true when its content holds a secret value: scripts and diffs carrying it are never shown */
  secret?: boolean;
};

export type Resource = ResourceBase & { readonly [field: string]: unknown };

export interface Handler {
  name: string;
  /** shell command, e.g. "systemctl reload bird" */
  run: string;
  /** runs on a bounded number of hosts at once across the run (a rolling restart), not everywhere at once */
  rolling?: HandlerRolling;
  /** after running: retried every second until it exits 0, before the host frees its rolling slot */
  wait?: { command: string; timeoutSec: number };
  origin: Origin;
}

/** How many hosts may hold a rolling handler's slot at once: a count, or a share of the run's hosts. */
export type RollingSize = { hosts: number } | { percent: number };

export interface HandlerRolling {
  size: RollingSize;
  /** roll only when this shell test succeeds on the host at probe time; otherwise the host runs it at once */
  if?: string;
  /** each host waits a random 0..jitterSec before taking a slot; unset: the default of src/engine/rolling.ts */
  jitterSec?: number;
}

export interface DesiredHost {
  host: string;
  roles: string[];
  resources: Resource[];
  /** by name, in the order handlers run */
  handlers: Handler[];
}
