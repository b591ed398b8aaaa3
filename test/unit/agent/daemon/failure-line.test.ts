// The reason a failed command gives, for the agent's log: BIRD's banner and warnings are skipped.
import { describe, expect, it } from "vitest";
import { failureLine } from "../../../../src/agent/daemon/exec.js";

describe("failureLine", () => {
  it("skips BIRD 3's warnings to the error of a refused config (bird -p -c, real bird3 3.1.8 output)", () => {
    const stderr = [
      "bird: 2026-12-01 13:18:41.097 [0001] <WARN> /etc/bird/peers.d/peers.conf:5:182: Missing authentication option, assuming MD5",
      "bird: 2026-12-01 13:18:41.097 [0001] <FATAL> /etc/bird/peers.d/peers.conf:9:59 syntax error, unexpected CF_SYM_UNDEFINED",
    ].join("\n");
    expect(failureLine({ ok: false, code: 1, stdout: "", stderr, error: "exit 1" })).toBe(
      "exit 1: bird: 2026-12-01 13:18:41.097 [0001] <FATAL> /etc/bird/peers.d/peers.conf:9:59 syntax error, unexpected CF_SYM_UNDEFINED",
    );
  });

  it("skips birdc's banner (birdc configure refused by BIRD 3, exit 1)", () => {
    const stdout = "BIRD 3.1.8 ready.\nReading configuration from /etc/bird/bird.conf\n/etc/bird/peers.d/zz.conf:1:40 syntax error, unexpected CF_SYM_UNDEFINED\n";
    expect(failureLine({ ok: false, code: 1, stdout, stderr: "", error: "exit 1" })).toBe("exit 1: /etc/bird/peers.d/zz.conf:1:40 syntax error, unexpected CF_SYM_UNDEFINED");
    expect(failureLine({ ok: false, code: 1, stdout: "BIRD 3.1.8 ready.\nNo such command. Press `?' for help.\n", stderr: "", error: "exit 1" })).toBe("exit 1: No such command. Press `?' for help.");
  });

  it("still says something when only a banner came back", () => {
    expect(failureLine({ ok: false, code: 1, stdout: "BIRD 2.0.12 ready.\n", stderr: "", error: "exit 1" })).toBe("exit 1: BIRD 2.0.12 ready.");
  });
});
