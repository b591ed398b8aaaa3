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

/**
 * A last guard for secrets (the BGP password): no caller logs one knowingly, but a command's
 * output (BIRD quoting its config) could. Strings shorter than 4 characters are left alone: they
 * would turn up in ordinary text by chance.
 */
export function redactingLogger(log: Logger, secrets: readonly (string | undefined)[]): Logger {
  const list = secrets.filter((s): s is string => s !== undefined && s.length >= 4);
  if (list.length === 0) return log;
  const clean = (msg: string) => list.reduce((m, s) => m.split(s).join("[redacted]"), msg);
  return {
    info: (msg) => log.info(clean(msg)),
    warn: (msg) => log.warn(clean(msg)),
    error: (msg) => log.error(clean(msg)),
  };
}
