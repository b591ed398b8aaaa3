// Which version of the tool, its roles and its templates a run used: a digest of their files. The
// CLI's version number does not change with every build, and a pull must apply again when a push
// installed new roles even if the configuration repository did not move.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../util/project.js";

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const path = join(dir, n);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export function toolId(entry = fileURLToPath(import.meta.url)): string {
  const hash = createHash("sha256");
  for (const f of [entry, join(PROJECT_ROOT, "site.yml"), ...filesUnder(join(PROJECT_ROOT, "roles")), ...filesUnder(join(PROJECT_ROOT, "templates")), ...filesUnder(join(PROJECT_ROOT, "dist", "agent", "lib"))]) {
    hash.update(f.slice(PROJECT_ROOT.length)).update("\0");
    try {
      hash.update(readFileSync(f));
    } catch {
      hash.update("-");
    }
  }
  return hash.digest("hex").slice(0, 16);
}
