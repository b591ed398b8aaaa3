import { describe, expect, it } from "vitest";
import { planReload } from "../../../src/agent/plan-reload.js";
import { config } from "./helpers.js";

const cfg = config();
const TINC_CONF = "/etc/tinc/bgpmesh/tinc.conf";
const HOST = "/etc/tinc/bgpmesh/hosts/node2";
const PEERS = "/etc/bird/peers.d/peers.conf";
const BIRD = {
  check: { label: "check bird config", argv: ["bird", "-p", "-c", "/etc/bird/bird.conf"] },
  configure: { label: "reconfigure bird", argv: ["birdc", "configure"] },
};
const TINC = { label: "reload tinc", argv: ["tincd", "-n", "bgpmesh", "-kHUP"] };

describe("reload decisions", () => {
  it("nothing changed: nothing to do", () => {
    expect(planReload(cfg, { changed: [], removed: [] })).toEqual({});
  });

  it("a new or changed host file alone needs no tinc reload (tinc reads it when the peer connects)", () => {
    expect(planReload(cfg, { changed: [HOST] })).toEqual({});
    expect(planReload(cfg, { changed: [], removed: [HOST] })).toEqual({});
  });

  it("tinc.conf changed: reload tinc only", () => {
    expect(planReload(cfg, { changed: [HOST, TINC_CONF] })).toEqual({ tinc: TINC });
  });

  it("a BIRD file changed: check bird.conf with bird -p -c, then birdc configure", () => {
    expect(planReload(cfg, { changed: [PEERS] })).toEqual({ bird: BIRD });
    expect(planReload(cfg, { changed: [], removed: ["/etc/bird/peers.d/old.conf"] })).toEqual({ bird: BIRD });
  });

  it("both: both", () => {
    expect(planReload(cfg, { changed: [HOST, TINC_CONF, PEERS] })).toEqual({ tinc: TINC, bird: BIRD });
  });

  it("a file BIRD's include does not match is not a BIRD change", () => {
    expect(planReload(cfg, { changed: [], removed: ["/etc/bird/peers.d/.peers.conf.bgpmesh-tmp-1-ab", "/etc/bird/peers.d/notes.txt"] })).toEqual({});
  });

  it("follows the configured names and paths", () => {
    const other = config({ meshName: "net2", paths: { tincDir: "/srv/tinc", birdConf: "/srv/bird.conf", birdPeersDir: "/srv/peers" } });
    expect(planReload(other, { changed: ["/srv/tinc/net2/tinc.conf", "/srv/peers/peers.conf"] })).toEqual({
      tinc: { label: "reload tinc", argv: ["tincd", "-n", "net2", "-kHUP"] },
      bird: { check: { label: "check bird config", argv: ["bird", "-p", "-c", "/srv/bird.conf"] }, configure: BIRD.configure },
    });
    expect(planReload(other, { changed: [TINC_CONF, PEERS] })).toEqual({});
  });
});
