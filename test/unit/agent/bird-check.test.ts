import { describe, expect, it } from "vitest";
import { checkConfigText } from "../../../src/agent/bird-check.js";

const paths = { birdPeersDir: "/etc/bird/peers.d", birdPeersFile: "/etc/bird/peers.d/peers.conf" };
const STAGED = "/etc/bird/peers.d/.peers.conf.bgpmesh-tmp-1-ab";

describe("the config a staged peers.conf is checked in", () => {
  it("names the staged file where the peers glob would have read peers.conf, and the other files it matches one by one", () => {
    const main = 'router id 10.0.0.1;\ninclude "/etc/bird/peers.d/*.conf";\n';
    const names = ["peers.conf", "00-bgpmesh.conf", ".peers.conf.bgpmesh-tmp-1-ab", "notes.txt", "zz.conf"];
    expect(checkConfigText(main, paths, STAGED, names)).toBe(
      `router id 10.0.0.1;\ninclude "/etc/bird/peers.d/00-bgpmesh.conf";\ninclude "${STAGED}";\ninclude "/etc/bird/peers.d/zz.conf";\n`,
    );
  });

  it("also when peers.conf is not on disk yet (the first reconcile)", () => {
    expect(checkConfigText('include "/etc/bird/peers.d/*.conf";', paths, STAGED, ["00-bgpmesh.conf"])).toBe(
      `include "/etc/bird/peers.d/00-bgpmesh.conf";\ninclude "${STAGED}";`,
    );
  });

  it("a main config that does not include the peers directory gets the staged file at its end", () => {
    expect(checkConfigText("router id 10.0.0.1;\n", paths, STAGED, [])).toBe(`router id 10.0.0.1;\ninclude "${STAGED}";\n`);
  });
});
