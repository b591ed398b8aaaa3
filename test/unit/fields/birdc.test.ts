import { describe, expect, it } from "vitest";
import { channelSum, countEstablished, parseShowProtocols, parseShowProtocolsAll, totalFiltered } from "../../../src/fields/birdc.js";
import { BIRD2_ALL, BIRD318_ALL, BIRD3_ALL } from "./show-protocols-all.js";

// As printed by BIRD 2.0.12 on a lab host.
const OUTPUT = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     04:00:59.492  
direct1    Direct     ---        up     04:01:04.675  
kernel1    Kernel     master4    up     04:00:59.492  
bgpmesh_static Static     master4    up     04:01:04.675  
bfd1       BFD        ---        up     04:01:04.675  
peer_node2 BGP        ---        up     04:04:03.962  Established   
peer_node3 BGP        ---        start  04:04:04.428  Active        Socket: Connection refused
peer_node4 BGP        ---        start  2026-11-24 04:04:04  Connect
peer_node5 BGP        ---        up     2026-11-24 04:04:04  Established
`;

describe("birdc show protocols", () => {
  it("lists the peer_* BGP protocols and whether each is Established", () => {
    expect(parseShowProtocols(OUTPUT)).toEqual([
      { name: "peer_node2", established: true },
      { name: "peer_node3", established: false },
      { name: "peer_node4", established: false },
      { name: "peer_node5", established: true },
    ]);
    expect(countEstablished(OUTPUT)).toBe(2);
  });

  it("counts nothing from an error or empty output", () => {
    expect(countEstablished("Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n")).toBe(0);
    expect(countEstablished("")).toBe(0);
  });

  it("ignores other protocols that say Established", () => {
    expect(countEstablished("ibgp_x    BGP  ---  up  04:00:00.000  Established\npeer_y  Static  --- up 04:00 Established\n")).toBe(0);
  });
});

describe("birdc show protocols all", () => {
  const v4 = (imported: number, filtered: number, exported: number) => ({ ipv4: { imported, filtered, exported } });

  it("reads BIRD 2.0.12: each peer_* session with its ipv4 channel's routes, a count not printed as 0", () => {
    expect(parseShowProtocolsAll(BIRD2_ALL)).toEqual([
      { name: "peer_node2", established: true, channels: v4(1, 3, 1) },
      { name: "peer_node3", established: false, channels: v4(0, 0, 0) },
      // no `import keep filtered`: BIRD prints no filtered count
      { name: "peer_node4", established: true, channels: v4(0, 0, 1) },
    ]);
    expect(totalFiltered(parseShowProtocolsAll(BIRD2_ALL))).toBe(3);
  });

  it("reads BIRD 3's layout, an ipv6 channel included", () => {
    const all = parseShowProtocolsAll(BIRD3_ALL);
    expect(all).toEqual([
      {
        name: "peer_node2",
        established: true,
        channels: { ipv4: { imported: 2, filtered: 3, exported: 1 }, ipv6: { imported: 1, filtered: 0, exported: 0 } },
      },
      { name: "peer_node3", established: false, channels: v4(0, 0, 0) },
    ]);
    expect(channelSum(all[0]!, "imported")).toBe(3);
    expect(totalFiltered(all)).toBe(3);
  });

  it("reads real BIRD 3.1.8 output (Debian 13's bird3)", () => {
    const all = parseShowProtocolsAll(BIRD318_ALL);
    expect(all).toEqual([
      { name: "peer_nodeb", established: true, channels: v4(2, 1, 1) },
      { name: "peer_nodec", established: false, channels: v4(0, 0, 0) },
    ]);
    expect(totalFiltered(all)).toBe(1);
    expect(parseShowProtocols(BIRD318_ALL)).toEqual([
      { name: "peer_nodeb", established: true },
      { name: "peer_nodec", established: false },
    ]);
  });

  it("gives the same sessions as show protocols does", () => {
    const sessions = (out: string) => parseShowProtocolsAll(out).map(({ name, established }) => ({ name, established }));
    expect(sessions(BIRD2_ALL)).toEqual(parseShowProtocols(BIRD2_ALL));
    expect(sessions(OUTPUT)).toEqual(parseShowProtocols(OUTPUT));
  });

  it("counts no other protocol's routes, and nothing from an error or empty output", () => {
    // the Routes lines of a static protocol and of a pipe (BIRD 3 indents that one less)
    const out = "BIRD 3.1.0 ready.\nbgpmesh_static Static master4 up 09:12:40.118\n  Channel ipv4\n    Routes:         7 imported, 7 filtered, 0 exported, 7 preferred\n\npipe1 Pipe --- up 09:12:40.118 master4 <=> t2\n  Routes:         4 imported, 4 exported\n";
    expect(parseShowProtocolsAll(out)).toEqual([]);
    expect(parseShowProtocolsAll("Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n")).toEqual([]);
    expect(parseShowProtocolsAll("")).toEqual([]);
  });
});
