// Bundles the CLI for pull mode, where it runs on a node under the node's Debian nodejs (18), and as
// the package's entry point (package.json `bin`): one file loads faster than the 474 files that
// `dist/cli.js --help` opens.
//
//   dist/bundle/cli.cjs                 the whole CLI (src/cli.ts and its packages) in one CommonJS file
//   dist/bundle/cli.mjs                 the package's `bin`: runs cli.cjs with V8's code cache
//                                     (src/bundle-entry.ts); starts in about half the time of dist/cli.js
//   dist/bundle/repo-server.js          the lab's apt repository server, which `lab up` starts
//   dist/bundle/bgpmesh-provision.tgz   what the `pull` role unpacks to /usr/local/lib/bgpmesh-provision:
//                                     the bundle, the agent bundle, site.yml, roles/, templates/
//
// The CLI finds its roles and templates two folders above its own file (src/util/project.ts), so
// the bundle sits at dist/bundle/ inside that tree, as it does here. The archive is byte-for-byte the
// same for the same inputs (sorted, fixed times and owners, gzip without a name or time): the role
// copies it only when it really changed.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "bundle");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// zod's classic API exports every language's messages (`z.locales`: 260 KiB of the bundle's 1.5 MiB,
// compiled at every start); the tool uses zod's default, English, only.
const englishZod = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]node_modules[/\\]zod[/\\]/.test(args.importer) ? { path: join(dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-en" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

const common = {
  bundle: true,
  plugins: [englishZod],
  platform: "node",
  target: "node18",
  format: "esm",
  minify: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  // ssh2's optional native speed-ups: it falls back to JavaScript when they cannot be loaded.
  external: ["cpu-features", "*.node"],
  // CommonJS packages inside an ES module bundle still call require() for Node's own modules and
  // read __dirname (ssh2 looks for its optional native part there).
  banner: {
    js: [
      "// bgpmesh-provision: bundled by scripts/build-bundle.mjs; finds roles/ and templates/ at ../../",
      "import { createRequire as __bgpmeshRequire } from 'node:module';",
      "import { fileURLToPath as __bgpmeshPath } from 'node:url';",
      "const require = __bgpmeshRequire(import.meta.url);",
      "const __filename = __bgpmeshPath(import.meta.url);",
      "const __dirname = __bgpmeshPath(new URL('.', import.meta.url));",
    ].join("\n"),
  },
};
// The CLI as CommonJS, which the entry runs with V8's code cache (src/bundle-entry.ts). import.meta.url
// is the file's own URL, as in the ES module build.
await build({
  ...common,
  format: "cjs",
  entryPoints: [join(root, "src", "cli.ts")],
  outfile: join(out, "cli.cjs"),
  define: { "import.meta.url": "__bgpmeshUrl" },
  banner: { js: "// bgpmesh-provision: bundled by scripts/build-bundle.mjs, run by cli.mjs; finds roles/ and templates/ at ../../\nconst __bgpmeshUrl = require('node:url').pathToFileURL(__filename).href;" },
});
await build({ ...common, entryPoints: [join(root, "src", "bundle-entry.ts")], outfile: join(out, "cli.mjs") });
// `lab up` starts the lab's apt repository server as its own process, from the file beside the CLI's.
await build({ ...common, entryPoints: [join(root, "src", "lab", "repo-server.ts")], outfile: join(out, "repo-server.js") });

const members = ["dist/bundle/cli.mjs", "dist/bundle/cli.cjs", "dist/agent/lib", "dist/agent/proto", "site.yml", "roles", "templates"];
const tar = execFileSync(
  "tar",
  ["-C", root, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--mode=u+rwX,go+rX,go-w", "--exclude=*.md", "-cf", "-", ...members],
  { maxBuffer: 256 << 20 },
);
const gz = execFileSync("gzip", ["-9", "-n", "-c"], { input: tar, maxBuffer: 256 << 20 });
const { writeFileSync } = await import("node:fs");
writeFileSync(join(out, "bgpmesh-provision.tgz"), gz);
console.log(`build-bundle: dist/bundle/cli.mjs, cli.cjs, dist/bundle/bgpmesh-provision.tgz (${(gz.length / 1024).toFixed(0)} KiB)`);
