#!/usr/bin/env node
// The bundled CLI's entry point (package.json `bin`, dist/bundle/cli.mjs; pull mode's command on a
// node): it runs the CLI's bundle, dist/bundle/cli.cjs, with V8's code cache. Compiling the 1.3 MiB
// bundle, at start and then function by function as a run first calls them, was about 75 ms of a
// no-change apply's 0.3 s of controller CPU; the cache V8 writes after a run holds every function
// that run compiled, and the next run of the same command skips that work. Node 20 has no built-in
// cache for this (module.enableCompileCache is Node 22's), and vm.Script takes one for a script,
// not for an ES module: so the bundle is CommonJS and is run here as Node would run it.
//
// A cache file is found by the digest of the bundle's text, Node's version and the command (each
// command calls other functions), so a rebuilt bundle or another Node never reads an old one; V8
// itself refuses data from another V8 or other flags (cachedDataRejected), which is then replaced.
// It is written only when missing or refused, at exit, in one rename, and replaces other builds'
// files. Without a usable cache folder (see controllerCacheDir) the bundle runs the same, compiled
// anew.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { writeFileAtomic } from "./util/atomic-write.js";
import { controllerCacheDir } from "./util/cache-dir.js";

const file = join(dirname(fileURLToPath(import.meta.url)), "cli.cjs");
// A shebang line is not JavaScript once wrapped in a function (Node strips it from files it runs).
const source = readFileSync(file, "utf8").replace(/^#!.*/, "");
const dir = controllerCacheDir("v8");
const command = /^[a-z][a-z-]{0,31}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
const key = createHash("sha256").update(`${process.version}\0${source}`).digest("hex").slice(0, 32);
const cacheFile = dir && join(dir, `${key}-${command}.bin`);
let cached: Buffer | undefined;
try {
  if (cacheFile) cached = readFileSync(cacheFile);
} catch {
  // none yet
}
const script = new Script(Module.wrap(source), { filename: file, ...(cached && { cachedData: cached }) });
if (cacheFile && (!cached || script.cachedDataRejected)) {
  process.once("exit", () => {
    try {
      // Another build's caches (about 2 MiB each) are not read again: this one replaces them.
      for (const f of readdirSync(dir)) if (!f.startsWith(key)) rmSync(join(dir, f), { force: true });
      writeFileAtomic(cacheFile, script.createCachedData(), { mode: 0o600 });
    } catch {
      // A cache that cannot be written costs time, not the run.
    }
  });
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
