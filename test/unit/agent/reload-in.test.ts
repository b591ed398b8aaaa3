// After a configure, the sessions whose peers.conf line changed (their import filter, say) get
// `birdc reload in`; new and removed sessions need none.
import { describe, expect, it } from "vitest";
import { birdMajor, reloadInArgv, sessionsToReload } from "../../../src/agent/reload-in.js";

const line = (name: string, prefixes: string) =>
  `protocol bgp ${name} from mesh_peer { neighbor 10.0.0.3; ipv4 { import filter { if net ~ [ ${prefixes} ] then accept; reject; }; }; }`;

describe("sessions to reload after a configure", () => {
  it("lists the sessions present before and after whose line changed", () => {
    const before = ["# peers", line("peer_node2", "192.0.2.0/24"), line("peer_node3", "198.51.100.0/26"), line("peer_node4", "203.0.113.0/28")].join("\n");
    const after = ["# peers", line("peer_node2", "192.0.2.0/24"), line("peer_node3", "198.51.100.0/26, 198.51.100.64/26"), line("peer_node5", "203.0.113.16/28")].join("\n");
    expect(sessionsToReload(before, after)).toEqual(["peer_node3"]);
    expect(sessionsToReload("", after)).toEqual([]);
    expect(sessionsToReload(after, after)).toEqual([]);
    expect(reloadInArgv("peer_node3")).toEqual(["birdc", "reload", "in", "peer_node3"]);
  });

  it("names the command as the BIRD that answered the configure does (BIRD 3: reload filters in)", () => {
    // Real replies of `birdc configure`: Debian 12's bird2 and Debian 13's bird3.
    const bird2 = "BIRD 2.0.12 ready.\nReading configuration from /etc/bird/bird.conf\nReconfigured\n";
    const bird3 = "BIRD 3.1.8 ready.\nReading configuration from /etc/bird/bird.conf\nReconfiguration in progress\n";
    expect(birdMajor(bird2)).toBe(2);
    expect(birdMajor(bird3)).toBe(3);
    expect(birdMajor("Reconfigured\n")).toBeUndefined();
    expect(reloadInArgv("peer_node3", bird2)).toEqual(["birdc", "reload", "in", "peer_node3"]);
    expect(reloadInArgv("peer_node3", bird3)).toEqual(["birdc", "reload", "filters", "in", "peer_node3"]);
    // No banner (a reply cut short): BIRD 2's command, as before.
    expect(reloadInArgv("peer_node3", "Reconfigured\n")).toEqual(["birdc", "reload", "in", "peer_node3"]);
  });
});
