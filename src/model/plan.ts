// A plan is plain data: per host, the actions that bring it to the desired state and the
// handlers they owe. Scripts and file contents may hold secrets: they are executed, never shown,
// and left out of saved plans (see src/engine/plan-file.ts).

/** A certificate request the controller signs half-way through the apply (see src/engine/apply-script.ts). */
export interface SignSpec {
  commonName: string;
  ips: string[];
  dns: string[];
  days: number;
  /** where the signed certificate is written */
  certPath: string;
}

export interface Action {
  /** index of the resource in the host's desired state */
  resource: number;
  kind: string;
  /** what is changed, e.g. "file /etc/demo/demo.conf" */
  target: string;
  /** how, e.g. "create", "update", "install", "enable", "start", "run", "set mode" */
  change: string;
  /** a short note, e.g. "mode 0600 → 0644" */
  detail?: string;
  /** unified diff of a file's text; absent for secret and binary content */
  diff?: string;
  notify: string[];
  /** the shell commands that make the change */
  script: string;
  /** true when the script holds a secret value */
  secret: boolean;
  /**
   * the step changes nothing until its last command (a rename): when it fails, the handlers it
   * would have notified are not owed after all
   */
  atomic?: boolean;
  /**
   * a certificate to issue: the script prints the host's certificate request, the controller signs
   * it with these names, and the next part of the apply script writes the certificate
   */
  sign?: SignSpec;
  /**
   * a service's start, with every file before it in place: a package the run installs leaves the
   * daemon stopped, or the step restarts it (see resources/service.ts and package.ts), so a
   * restart or reload notified only before it is not needed
   */
  firstStart?: true;
}

export interface PlannedHandler {
  name: string;
  run: string;
  /** owed by an earlier run that stopped before its handlers ran (in the host's journal) */
  owed: boolean;
  /** notified by a change in this plan */
  notified: boolean;
  secret: boolean;
  /**
   * at most `hosts` hosts run it (and its wait) at once across the run, each after a random delay
   * of up to `jitterMs`; absent: every host runs it when it gets there
   */
  rolling?: { hosts: number; jitterMs: number };
  wait?: { command: string; timeoutSec: number };
}

export interface HostPlan {
  host: string;
  /** digest of the observed state the plan was computed from: a saved plan is stale when it moves */
  observedDigest: string;
  /** digest of every action and handler, scripts and contents included */
  actionsDigest: string;
  actions: Action[];
  handlers: PlannedHandler[];
  /** resources already as desired */
  unchanged: number;
  /** handlers named in the host's journal that no role defines any more */
  unknownOwed: string[];
  /** facts worth showing beside the changes, e.g. when a certificate expires */
  notes: string[];
}

export const hasChanges = (p: HostPlan): boolean => p.actions.length > 0 || p.handlers.length > 0 || p.unknownOwed.length > 0;
