import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { run, type RunResult } from "../../src/util/exec.js";
import { projectFile } from "../../src/util/project.js";

/**
 * Runs the built CLI exactly as a user would: package.json's `bin`, the bundle an installed package
 * runs (npm test builds it first). It also starts in 0.36 s where dist/cli.js takes 0.6 s, and the
 * e2e files run it more than a hundred times.
 */
export const BIN = projectFile((JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as { bin: Record<string, string> }).bin["bgpmesh-provision"]!);
export function cli(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { allowFailure: true, timeoutMs: 900_000 });
}

export async function cliOk(...args: string[]): Promise<string> {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`bgpmesh-provision ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

export interface LabInfo {
  inventoryFile: string;
  sshConfigFile: string;
  knownHostsFile: string;
  bridge: string;
  bridgeAddress: string;
  index: number;
  subnet: string;
  hosts: { name: string; address: string; running: boolean; systemd?: string }[];
  dir: string;
  runDir: string;
}

export async function labInfo(name: string): Promise<LabInfo> {
  const r = await cliOk("lab", "status", "--name", name, "--json");
  const { lab, hosts } = JSON.parse(r.slice(r.indexOf("{")));
  return { ...lab, hosts };
}

/** Runs a command on a lab host through real OpenSSH with the lab's ssh_config (strict host key checking). */
export function ssh(lab: LabInfo, host: string, command: string, extra: string[] = []): Promise<RunResult> {
  return run("ssh", ["-F", lab.sshConfigFile, "-o", "BatchMode=yes", ...extra, host, command], {
    allowFailure: true,
    timeoutMs: 300_000,
  });
}

export async function sshOk(lab: LabInfo, host: string, command: string): Promise<string> {
  const r = await ssh(lab, host, command);
  if (r.code !== 0) throw new Error(`${host}: '${command}' exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface LabInventory {
  all: {
    vars: Record<string, unknown>;
    children: { mesh: { hosts: Record<string, { ansible_host: string }> }; etcd: { hosts: Record<string, null> } };
  };
}

export function readInventory(lab: LabInfo): LabInventory {
  return parse(readFileSync(lab.inventoryFile, "utf8"));
}
