// Serves a lab's apt repository on the lab bridge's address only. Started detached by `lab up`
// and stopped by `lab down` (by pid); usage: repo-server.js DIR ADDRESS PORT
import { createServer } from "node:http";
import finalhandler from "finalhandler";
import serveStatic from "serve-static";

const [dir, address, portText] = process.argv.slice(2);
if (!dir || !address || !portText) {
  console.error("usage: repo-server.js DIR ADDRESS PORT");
  process.exit(2);
}
// apt asks for version strings like 2+b2 as 2%2bb2: serve-static decodes the whole path.
const serve = serveStatic(dir, { index: false, dotfiles: "ignore" });
createServer((req, res) => serve(req, res, finalhandler(req, res))).listen(Number(portText), address, () => {
  console.log(`serving ${dir} on http://${address}:${portText}/`);
});
