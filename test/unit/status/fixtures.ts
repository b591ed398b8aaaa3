// Answers of the status command as hosts give them (BIRD 2.0.12 on Debian 12).

export const SHOW_PROTOCOLS = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     05:13:58.492  
direct1    Direct     ---        up     05:14:04.675  
kernel1    Kernel     master4    up     05:13:58.492  
bfd1       BFD        ---        up     05:14:04.675  
bgpmesh_static Static     master4    up     05:14:04.675  
peer_node2 BGP        ---        up     05:14:13.962  Established   
peer_node3 BGP        ---        start  05:14:14.428  Active        Socket: Connection refused
`;

export const LAST_RUN_OK = `{"at":"2026-11-24T05:14:10+00:00","changed":4,"kind":"push","from":"ctl","result":"ok"}`;
export const LAST_RUN_FAILED = `{"at":"2026-11-24T06:02:41+00:00","changed":1,"kind":"pull","from":"node3","result":"failed"}`;

export function answer(parts: { agent: string; bird: string; lastRun: string }): string {
  return [
    "@@status agent",
    parts.agent,
    "@@status bird",
    parts.bird.replace(/\n$/, ""),
    "@@status last-run",
    parts.lastRun,
    "@@status end",
    "",
  ].join("\n");
}

/** node1 of a 3-node mesh: agent up, one session of two Established, applied once. */
export const NODE1 = answer({ agent: "active\nloaded", bird: `${SHOW_PROTOCOLS}@@exit 0`, lastRun: LAST_RUN_OK });
