// The bundle's entry: runs main() (kept apart so that importing main.ts runs nothing).
import { main } from "./main.js";

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`bgpmesh-agent: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
