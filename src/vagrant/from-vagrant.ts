// `inventory --from-vagrant`: everything is worked out first and written only when nothing failed,
// so a mistake leaves the inventory and known_hosts as they were.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { mergeKnownHosts, pinnedKeyFile, readPinnedKey } from "./known-hosts.js";
import { inventoryYaml, parseUnderlay, vagrantHosts } from "./inventory.js";
import { parseSshConfig, VagrantInputError } from "./ssh-config.js";

export interface FromVagrantOptions {
  vagrantDir: string;
  /** recorded `vagrant ssh-config` output; `-` is stdin; unset: run `vagrant ssh-config` in vagrantDir */
  sshConfig?: string;
  underlay?: string[];
  readStdin?: () => Promise<string>;
}

export interface FromVagrantResult {
  inventory: string;
  hostCount: number;
  knownHostsFile: string;
  knownHosts: string;
  /** things the user should know, one line each (never key material) */
  notes: string[];
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function runVagrant(dir: string): Promise<string> {
  return new Promise((done, fail) => {
    // VAGRANT_CWD too: one left in the environment would make Vagrant read another project.
    const env = { ...process.env, VAGRANT_CWD: dir };
    execFile("vagrant", ["ssh-config"], { cwd: dir, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return done(stdout);
      if (errorCode(err) === "ENOENT") {
        return fail(
          new VagrantInputError(
            "vagrant is not installed here (not on PATH): run `vagrant ssh-config > ssh-config.txt` where it is, then pass --ssh-config ssh-config.txt",
          ),
        );
      }
      const why = (stderr.trim() || err.message).split("\n").map((l) => l.trim()).filter(Boolean).slice(-3).join(" ");
      fail(new VagrantInputError(`\`vagrant ssh-config\` in ${dir} failed: ${why}`));
    });
  });
}

async function sshConfigText(o: FromVagrantOptions, dir: string): Promise<{ text: string; source: string; origin: string }> {
  if (o.sshConfig === undefined) {
    const text = await runVagrant(dir);
    return { text, source: `vagrant ssh-config (in ${dir})`, origin: `\`vagrant ssh-config\` in ${dir}` };
  }
  if (o.sshConfig === "-") return { text: await (o.readStdin ?? readStdin)(), source: "<stdin>", origin: "vagrant ssh-config output (stdin)" };
  try {
    return { text: readFileSync(o.sshConfig, "utf8"), source: o.sshConfig, origin: `vagrant ssh-config output (${o.sshConfig})` };
  } catch (e) {
    const why = errorCode(e) === "ENOENT" ? "no such file" : (e as Error).message;
    throw new VagrantInputError(`cannot read ssh-config file ${o.sshConfig}: ${why}`);
  }
}

export async function fromVagrant(o: FromVagrantOptions): Promise<FromVagrantResult> {
  const dir = resolve(o.vagrantDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new VagrantInputError(`--vagrant-dir ${o.vagrantDir}: no such directory (the one with the Vagrantfile)`);
  }
  const underlay = parseUnderlay(o.underlay ?? []);
  const input = await sshConfigText(o, dir);
  const hosts = vagrantHosts(parseSshConfig(input.text, input.source), underlay);

  const knownHostsFile = join(dir, "known_hosts");
  const notes: string[] = [];
  const targets = hosts.map((h) => {
    const key = readPinnedKey(dir, h.name);
    if (!key) {
      notes.push(
        `note: no pinned host key for ${h.name} (${pinnedKeyFile(dir, h.name)}): its first apply needs --accept-new-host-keys, ` +
          `which records the key it is shown in ${knownHostsFile} (trust on first use; checking stays on)`,
      );
    }
    return { name: h.name, address: h.address, port: h.port, ...(key && { key }) };
  });
  let existing = "";
  try {
    existing = readFileSync(knownHostsFile, "utf8");
  } catch (e) {
    if (errorCode(e) !== "ENOENT") throw new VagrantInputError(`cannot read ${knownHostsFile}: ${(e as Error).message}`);
  }
  return {
    inventory: inventoryYaml(hosts, knownHostsFile, input.origin),
    hostCount: hosts.length,
    knownHostsFile,
    knownHosts: mergeKnownHosts(existing, targets),
    notes,
  };
}
