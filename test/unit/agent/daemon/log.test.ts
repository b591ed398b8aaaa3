import { describe, expect, it } from "vitest";
import { redactingLogger, type Logger } from "../../../../src/agent/daemon/log.js";

function recording() {
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  return { log, lines };
}

describe("redactingLogger", () => {
  it("replaces every occurrence of the secret, at every level", () => {
    const { log, lines } = recording();
    const r = redactingLogger(log, ["pa$$word", undefined]);
    r.info("a pa$$word b pa$$word");
    r.warn("pa$$word");
    r.error("x");
    expect(lines).toEqual(["info a [redacted] b [redacted]", "warn [redacted]", "error x"]);
  });

  it("leaves the logger as it is without a secret worth the name (under 4 characters)", () => {
    const { log } = recording();
    expect(redactingLogger(log, [undefined])).toBe(log);
    expect(redactingLogger(log, ["abc"])).toBe(log);
  });
});
