// After a configure, the sessions whose peers.conf line changed (their import filter, say) get
// `birdc reload in`; new and removed sessions need none.
import { describe, expect, it } from "vitest";
import { reloadInArgv, sessionsToReload } from "../../../src/agent/reload-in.js";

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
});
