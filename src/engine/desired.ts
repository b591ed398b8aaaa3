// The desired state of one host, as the roles describe it after rendering: plain data, no
// secrets hidden inside objects (file contents are final bytes; `secret` says whether they hold
// any secret value, so that no diff, log or plan file ever shows them).

export interface Origin {
  /** where the resource or value was declared, e.g. "roles/demo/role.yml:12" */
  where: string;
}

export interface PackageResource {
  kind: "package";
  names: string[];
  origin: Origin;
}

export interface FileResource {
  kind: "file";
  path: string;
  /** the final bytes, as UTF-8 text or base64 when `binary` */
  content: string;
  binary?: boolean;
  owner: string;
  group: string;
  /** octal, four digits, e.g. "0644" */
  mode: string;
  /** shell command run on the staged temp file before it replaces `path`; `%s` is its path */
  validate?: string;
  /**
   * false: write the file only when it does not exist (Ansible's `force: no`); its content is then
   * someone else's, never compared or rewritten (owner and mode still are)
   */
  force?: boolean;
  notify: string[];
  /** true when the content holds a secret value: its text is never shown */
  secret: boolean;
  /** "template:demo/demo.conf.njk" or "content" */
  source: string;
  origin: Origin;
}

export interface DirectoryResource {
  kind: "directory";
  path: string;
  owner: string;
  group: string;
  mode: string;
  notify: string[];
  origin: Origin;
}

export interface ServiceResource {
  kind: "service";
  /** unit name; ".service" is implied when no suffix is given */
  name: string;
  enabled?: boolean;
  state?: "started" | "stopped";
  notify: string[];
  origin: Origin;
}

export interface CommandResource {
  kind: "command";
  /** a stable name shown in plans, e.g. "generate tinc key" */
  name: string;
  run: string;
  /** skip when this path exists */
  creates?: string;
  /** skip when this shell command exits 0 (it must only read) */
  unless?: string;
  notify: string[];
  origin: Origin;
}

/**
 * A private key made on the host (never read by the controller) and a certificate for it, signed
 * by the controller's CA during the apply; the CA's own certificate is written beside them.
 */
export interface CertificateResource {
  kind: "certificate";
  key: string;
  cert: string;
  /** where the CA certificate is written (one resource per host should name it) */
  ca?: string;
  /** the CA certificate (PEM) when the controller has it; a pull checks against the host's copy */
  caPem?: string;
  commonName: string;
  ips: string[];
  dns: string[];
  /** the key's group (mode 0640); the certificates are 0644 */
  group: string;
  days: number;
  /** renewed this many days before it expires */
  renewDays: number;
  /** renew now whatever the expiry (apply --renew-certs) */
  renew?: boolean;
  notify: string[];
  origin: Origin;
}

export type Resource = PackageResource | FileResource | DirectoryResource | ServiceResource | CommandResource | CertificateResource;

export interface Handler {
  name: string;
  /** shell command, e.g. "systemctl reload bird" */
  run: string;
  /**
   * run on one host at a time across the run: always (true), or when this shell test succeeds on
   * the host at probe time (e.g. "the member already belongs to a cluster")
   */
  serial?: true | string;
  /** after running: retried every second until it exits 0, before another host may run the handler */
  wait?: { command: string; timeoutSec: number };
  origin: Origin;
}

export interface DesiredHost {
  host: string;
  roles: string[];
  resources: Resource[];
  /** by name, in the order handlers run */
  handlers: Handler[];
}
