import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseArgs } from "../../../../src/agent/daemon/main.js";

describe("bgpmesh-agent arguments", () => {
  it("takes --config, --config=, -c, and defaults to /etc/bgpmesh/agent.json", () => {
    expect(parseArgs([])).toEqual({ config: DEFAULT_CONFIG });
    expect(parseArgs(["--config", "/x.json"])).toEqual({ config: "/x.json" });
    expect(parseArgs(["--config=/y.json"])).toEqual({ config: "/y.json" });
    expect(parseArgs(["-c", "/z.json"])).toEqual({ config: "/z.json" });
  });

  it("refuses a missing value and unknown arguments", () => {
    expect(parseArgs(["--config"])).toEqual({ error: "--config needs a file" });
    expect(parseArgs(["--verbose"])).toEqual({ error: "unknown argument: --verbose" });
  });
});
