import { describe, expect, it } from "vitest";
import { countEstablished, parseShowProtocols } from "../../../src/fields/birdc.js";

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
