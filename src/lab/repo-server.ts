// Serves a lab's apt repositories, one per Debian release, on the lab bridge's address only, each
// under /RELEASE/. Started detached by `lab up` and stopped by `lab down` (by pid);
// usage: repo-server.js ADDRESS PORT RELEASE=DIR...
import { createServer } from "node:http";
import finalhandler from "finalhandler";
import serveStatic from "serve-static";

const [address, portText, ...repos] = process.argv.slice(2);
if (!address || !portText || repos.length === 0 || repos.some((r) => !/^[a-z]+=./.test(r))) {
  console.error("usage: repo-server.js ADDRESS PORT RELEASE=DIR...");
  process.exit(2);
}
// apt asks for version strings like 2+b2 as 2%2bb2: serve-static decodes the whole path.
const served = new Map(
  repos.map((r) => {
    const [release, dir] = [r.slice(0, r.indexOf("=")), r.slice(r.indexOf("=") + 1)];
    return [release, serveStatic(dir, { index: false, dotfiles: "ignore" })] as const;
  }),
);
createServer((req, res) => {
  const done = finalhandler(req, res);
  const m = /^\/([a-z]+)(\/.*)$/.exec(req.url ?? "");
  const serve = m && served.get(m[1]!);
  if (!m || !serve) return done(undefined);
  req.url = m[2];
  serve(req, res, done);
}).listen(Number(portText), address, () => {
  console.log(`serving ${repos.join(" ")} on http://${address.includes(":") ? `[${address}]` : address}:${portText}/`);
});
