// Entry point of the node agent (bundled to dist/agent/lib/bgpmesh-agent.cjs):
//   bgpmesh-agent [--config /etc/bgpmesh/agent.json]
// Exit 2 on a bad config, a missing/invalid tinc public key or unusable etcd TLS files (one line
// per problem), 1 on an unexpected failure, 0 after SIGTERM/SIGINT. On a stop the lease is revoked
// first (peers drop this node at once instead of after the TTL); when systemd is restarting the
// unit it is kept, and the next agent takes the record over with no flap (stop-kind.ts).
// SIGHUP checks the etcd TLS files now.
import { AgentConfigError, loadConfig } from "../config.js";
import { Agent, StartupError, ownRecordJson, startupTls } from "./agent.js";
import { runCommand } from "./exec.js";
import { consoleLogger, errLine, redactingLogger, type Logger } from "./log.js";
import { stopKind } from "./stop-kind.js";

export const DEFAULT_CONFIG = "/etc/bgpmesh/agent.json";

export function parseArgs(argv: readonly string[]): { config: string } | { error: string } | { help: true } {
  let config = DEFAULT_CONFIG;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return { help: true };
    if (a === "--config" || a === "-c") {
      const v = argv[++i];
      if (!v) return { error: `${a} needs a file` };
      config = v;
    } else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else return { error: `unknown argument: ${a}` };
  }
  return { config };
}

/** The config the next agent will read: does it keep this node's BGP sessions? Unreadable: no. */
function restartKeepsSessions(agent: Agent, configPath: string): boolean {
  try {
    return agent.restartKeepsSessions(loadConfig(configPath));
  } catch {
    return false;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  if ("help" in args) {
    process.stdout.write(`usage: bgpmesh-agent [--config ${DEFAULT_CONFIG}]\n`);
    return;
  }
  if ("error" in args) {
    process.stderr.write(`bgpmesh-agent: ${args.error}\n`);
    process.exit(2);
  }
  let agent: Agent;
  let log: Logger = consoleLogger;
  try {
    const config = loadConfig(args.config);
    log = redactingLogger(consoleLogger, [config.bgpPassword]);
    agent = new Agent(config, ownRecordJson(config), log, { tls: startupTls(config) });
  } catch (e) {
    if (e instanceof AgentConfigError || e instanceof StartupError) {
      process.stderr.write(`bgpmesh-agent: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  process.on("unhandledRejection", (e) => log.error(`unhandled rejection: ${errLine(e)}`));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      log.error("stop took more than 8 s, exiting anyway");
      process.exit(1);
    }, 8000).unref();
    stopKind(runCommand)
      .then(({ kind, why }) => {
        let keep = kind === "restart";
        if (keep && !restartKeepsSessions(agent, args.config)) {
          keep = false;
          why += ", with a config that changes this node's BGP sessions (its peers must reset theirs too)";
        }
        log.info(keep ? `${signal}: ${why}: keeping the record for the next agent and stopping` : `${signal}: ${why}: revoking the lease and stopping`);
        return agent.stop({ keepRecord: keep });
      })
      .then(
      () => process.exit(0),
      (e) => {
        log.error(`stop failed: ${errLine(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // Node's default for SIGHUP is to exit; here it means "the TLS files changed, look now".
  process.on("SIGHUP", () => {
    if (!stopping) void agent.reloadTls("SIGHUP");
  });
  agent.start();
}
