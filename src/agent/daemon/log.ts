// Plain log lines: stdout for information, stderr for problems; journald adds time and unit.
// Callers never pass record values or secrets, only names, keys through keyForLog, and reasons.

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const consoleLogger: Logger = {
  info: (msg) => process.stdout.write(`${msg}\n`),
  warn: (msg) => process.stderr.write(`warning: ${msg}\n`),
  error: (msg) => process.stderr.write(`error: ${msg}\n`),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** One line of an error, for logs (grpc messages can span lines). */
export function errLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, " ").slice(0, 300);
}
