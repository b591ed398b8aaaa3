import { z } from "zod";
import { describeValue, InventoryError } from "./errors.js";
import type { VarSet } from "./model.js";

const text = z.string().regex(/^\S+$/);
const path = z.string().min(1);

/**
 * The ansible_* variables this tool understands, plus ours. Each says in words what it expects, for
 * messages like "expected an integer from 1 to 65535, got "abc"".
 */
export const CONNECTION_VARS = {
  ansible_host: { schema: text, expected: "a host name or IP address" },
  ansible_port: { schema: z.number().int().min(1).max(65535), expected: "an integer from 1 to 65535" },
  ansible_user: { schema: text, expected: "a user name" },
  ansible_ssh_private_key_file: { schema: path, expected: "a file path" },
  ansible_become: { schema: z.boolean(), expected: "true or false" },
  // Accepted so Ansible inventories load unchanged; this tool becomes root with sudo and runs no Python.
  ansible_become_user: { schema: text, expected: "a user name" },
  ansible_python_interpreter: { schema: path, expected: "a file path" },
  bgpmesh_known_hosts: { schema: path, expected: "a file path" },
} as const;

export type ConnectionVarName = keyof typeof CONNECTION_VARS;

/** Variables holding file paths: relative values are made absolute where they are written. */
export const PATH_VARS: ReadonlySet<string> = new Set(["ansible_ssh_private_key_file", "bgpmesh_known_hosts"]);

// Names people bring over from other Ansible setups, with what to write instead.
const HINTS: Record<string, string> = {
  ansible_ssh_host: "use ansible_host",
  ansible_ssh_port: "use ansible_port",
  ansible_ssh_user: "use ansible_user",
  ansible_private_key_file: "use ansible_ssh_private_key_file",
  ansible_password: "password login is not supported: use a key (ansible_ssh_private_key_file)",
  ansible_ssh_pass: "password login is not supported: use a key (ansible_ssh_private_key_file)",
  ansible_become_password: "sudo passwords are not supported: give the user passwordless sudo",
  ansible_become_pass: "sudo passwords are not supported: give the user passwordless sudo",
};

function isConnectionVar(name: string): name is ConnectionVarName {
  return Object.hasOwn(CONNECTION_VARS, name);
}

/** What is wrong with a variable's name as a connection variable, or undefined if nothing. */
export function connectionVarNameProblem(name: string): string | undefined {
  if (!name.startsWith("ansible_") || isConnectionVar(name)) return undefined;
  const hint = HINTS[name];
  return `unsupported connection variable ${name}${hint ? ` (${hint})` : ""}`;
}

/**
 * What is wrong with giving connection variable `name` this value, or undefined if nothing. Other
 * variables belong to roles, which check their own.
 */
export function connectionVarProblem(name: string, value: unknown): string | undefined {
  if (!isConnectionVar(name)) return undefined;
  const { schema, expected } = CONNECTION_VARS[name];
  return schema.safeParse(value).success ? undefined : `expected ${expected}, got ${describeValue(value)}`;
}

export interface Connection {
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  become: boolean;
  knownHostsFile?: string;
}

const connectionSchema = z
  .object({
    ansible_host: CONNECTION_VARS.ansible_host.schema.optional(),
    ansible_port: CONNECTION_VARS.ansible_port.schema.default(22),
    ansible_user: CONNECTION_VARS.ansible_user.schema.default("root"),
    ansible_ssh_private_key_file: CONNECTION_VARS.ansible_ssh_private_key_file.schema.optional(),
    ansible_become: CONNECTION_VARS.ansible_become.schema.default(false),
    bgpmesh_known_hosts: CONNECTION_VARS.bgpmesh_known_hosts.schema.optional(),
  })
  .transform((v) => ({
    host: v.ansible_host,
    port: v.ansible_port,
    user: v.ansible_user,
    become: v.ansible_become,
    ...(v.ansible_ssh_private_key_file !== undefined && { privateKeyFile: v.ansible_ssh_private_key_file }),
    ...(v.bgpmesh_known_hosts !== undefined && { knownHostsFile: v.bgpmesh_known_hosts }),
  }));

/**
 * How to reach a host over SSH, from its resolved variables. Values were checked where they were written;
 * this checks again because role defaults and extra vars may come from code, and a bad value is reported
 * at the place that defined it.
 */
export function connectionOf(resolved: { host: string; vars: VarSet }): Connection {
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(connectionSchema.in.shape)) {
    const def = resolved.vars.get(name);
    if (def !== undefined) input[name] = def.value;
  }
  const result = connectionSchema.safeParse(input);
  if (!result.success) {
    const name = String(result.error.issues[0]?.path[0]) as ConnectionVarName;
    const def = resolved.vars.get(name);
    const where = def?.origin ?? { file: "(unknown)", line: 0, column: 0 };
    throw new InventoryError(
      { file: where.file, line: where.line, column: where.column, key: name, host: resolved.host },
      `expected ${CONNECTION_VARS[name].expected}, got ${describeValue(def?.value)}`,
    );
  }
  return { ...result.data, host: result.data.host ?? resolved.host };
}
