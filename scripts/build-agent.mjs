// Bundles the node agent into one CommonJS file for the target's Debian nodejs (18):
//
//   dist/agent/lib/bgpmesh-agent.cjs    the agent (src/agent/daemon/bin.ts and everything it
//                                       imports: etcd3, @grpc/grpc-js, protobufjs, prom-client, zod)
//   dist/agent/proto/{rpc,kv,auth}.proto etcd3's gRPC definitions, read at run time
//
// etcd3 loads its protos with `loadSync(`${__dirname}/../proto/rpc.proto`)` (node_modules/etcd3/
// lib/connection-pool.js). In a CommonJS bundle `__dirname` is the directory of the bundle itself,
// so the bundle must sit in a `lib/` directory with `proto/` next to it: copy both directories
// together (e.g. to /usr/lib/bgpmesh-agent/{lib,proto}) and run `node <dir>/lib/bgpmesh-agent.cjs`.
// rpc.proto imports ./kv.proto and ./auth.proto, so all three are copied.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "agent");
const libDir = join(out, "lib");
const protoDir = join(out, "proto");

rmSync(libDir, { recursive: true, force: true });
rmSync(protoDir, { recursive: true, force: true });
mkdirSync(libDir, { recursive: true });
mkdirSync(protoDir, { recursive: true });

await build({
  entryPoints: [join(root, "src", "agent", "daemon", "bin.ts")],
  outfile: join(libDir, "bgpmesh-agent.cjs"),
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  sourcemap: false,
  legalComments: "none",
  // Smaller source to parse and keep: the agent runs on small routers too.
  minify: true,
  keepNames: true,
  logLevel: "warning",
  banner: { js: "// bgpmesh-agent: bundled by scripts/build-agent.mjs; needs ../proto/*.proto (etcd3)." },
});

const require = createRequire(import.meta.url);
const etcd3Proto = join(dirname(require.resolve("etcd3/package.json")), "proto");
const protos = readdirSync(etcd3Proto).filter((f) => f.endsWith(".proto"));
for (const f of protos) copyFileSync(join(etcd3Proto, f), join(protoDir, f));
console.log(`build-agent: dist/agent/lib/bgpmesh-agent.cjs, dist/agent/proto/{${protos.join(",")}}`);
