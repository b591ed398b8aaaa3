// Compiled templates kept between runs. Parsing, the strict rewrite and nunjucks' compiler were most
// of the controller's CPU in a no-change apply after start-up (about 70 ms of the shipped site's
// templates and role strings, every run, for text that had not changed). An entry is the JavaScript
// nunjucks' compiler wrote for one text, found by the digest of everything the code depends on: the
// text and its name, the parse options, the filters the rewrite knew, and the identity of the code
// that compiled it (see compilerIdentity). Any change there looks up another entry.
// Template texts hold no secrets (values come from the inventory at render time), so neither do these.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../util/atomic-write.js";
import { controllerCacheDir } from "../util/cache-dir.js";

// More entries than any project's templates and role strings make: past it the folder is emptied
// (texts edited over months leave entries nobody reads).
const MAX_ENTRIES = 2000;

const identities = new Map<string, string>();

/**
 * What identifies the compiling code: the text of every script in the folder of the module at
 * `moduleUrl` (unbundled, dist/render/, or src/render/ under vitest; bundled, the bundle's files,
 * about 4 ms to hash: the pull archive gives every file one time, so sizes and times would not
 * tell two builds apart) and nunjucks' version.
 */
function compilerIdentity(moduleUrl: string): string {
  // Once per process: a run has a renderer per roles folder, and the code does not change under it.
  let id = identities.get(moduleUrl);
  if (id === undefined) identities.set(moduleUrl, (id = hashCompiler(moduleUrl)));
  return id;
}

function hashCompiler(moduleUrl: string): string {
  const dir = dirname(fileURLToPath(moduleUrl));
  const hash = createHash("sha256");
  const scripts = readdirSync(dir)
    .filter((f) => /\.([cm]?js|ts)$/.test(f))
    .sort();
  for (const f of scripts) hash.update(`${f}\0`).update(readFileSync(join(dir, f))).update("\0");
  try {
    // Unbundled, nunjucks is a package of its own.
    const pkg = createRequire(moduleUrl).resolve("nunjucks/package.json");
    hash.update(String((JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version));
  } catch {
    hash.update("bundled");
  }
  return hash.digest("hex");
}

export class CompileCache {
  private constructor(
    private readonly dir: string,
    private readonly salt: string,
  ) {}

  /** The cache, or undefined where there is none to use (see controllerCacheDir). */
  static open(moduleUrl: string, settings: string): CompileCache | undefined {
    const dir = controllerCacheDir("templates");
    if (!dir) return undefined;
    try {
      return new CompileCache(dir, `${compilerIdentity(moduleUrl)}\0${settings}`);
    } catch {
      return undefined;
    }
  }

  #file(name: string, src: string): string {
    return join(this.dir, `${createHash("sha256").update(`${this.salt}\0${name}\0${src}`).digest("hex")}.js`);
  }

  /** The code kept for `src` under `name`, if any. */
  get(name: string, src: string): string | undefined {
    try {
      return readFileSync(this.#file(name, src), "utf8");
    } catch {
      return undefined;
    }
  }

  /** Keeps the code compiled from `src`. A cache that cannot be written costs time, not the run. */
  put(name: string, src: string, code: string): void {
    try {
      const kept = readdirSync(this.dir);
      if (kept.length >= MAX_ENTRIES) for (const f of kept) rmSync(join(this.dir, f), { force: true });
      writeFileAtomic(this.#file(name, src), code, { mode: 0o600 });
    } catch {
      // see above
    }
  }
}
