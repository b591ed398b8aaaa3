// Answers of the status command as hosts give them (BIRD 2.0.12 on Debian 12).

/**
 * `birdc -r show protocols all` on node1 of a 3-node mesh (BIRD 2.0.12's layout, as in
 * test/unit/fields/show-protocols-all.ts): peer_node2 Established, its import filter (with
 * `import keep filtered on`) refusing 2 of the 3 prefixes node2 sends; peer_node3 not connected.
 */
export const SHOW_PROTOCOLS_ALL = `BIRD 2.0.12 ready.
Access restricted
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     05:13:58.492  

direct1    Direct     ---        up     05:14:04.675  
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     240
    Input filter:   ACCEPT
    Output filter:  REJECT
    Routes:         1 imported, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              1          0          0          0          1
      Import withdraws:            0          0        ---          0          0
      Export updates:              0          0          0        ---          0
      Export withdraws:            0        ---        ---        ---          0

kernel1    Kernel     master4    up     05:13:58.492  
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     10
    Input filter:   ACCEPT
    Output filter:  bgpmesh_kernel
    Routes:         0 imported, 1 exported, 0 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              0          0          0          0          0
      Import withdraws:            0          0        ---          0          0
      Export updates:              3          0          2        ---          1
      Export withdraws:            0        ---        ---        ---          0

bfd1       BFD        ---        up     05:14:04.675  

bgpmesh_static Static     master4    up     05:14:04.675  
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     200
    Input filter:   ACCEPT
    Output filter:  REJECT
    Routes:         1 imported, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              1          0          0          0          1
      Import withdraws:            0          0        ---          0          0
      Export updates:              0          0          0        ---          0
      Export withdraws:            0        ---        ---        ---          0

peer_node2 BGP        ---        up     05:14:13.962  Established   
  BGP state:          Established
    Neighbor address: 10.99.0.2
    Neighbor AS:      65000
    Local AS:         65000
    Neighbor ID:      10.99.0.2
    Local capabilities
      Multiprotocol
        AF announced: ipv4
      Route refresh
      Graceful restart
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Neighbor capabilities
      Multiprotocol
        AF announced: ipv4
      Route refresh
      Graceful restart
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Session:          internal AS4
    Source address:   10.99.0.1
    Hold timer:       6.667/9
    Keepalive timer:  0.920/3
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     100
    Input filter:   peer_node2_import
    Output filter:  bgpmesh_export
    Routes:         1 imported, 2 filtered, 1 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              3          0          2          0          1
      Import withdraws:            0          0        ---          0          0
      Export updates:              2          1          0        ---          1
      Export withdraws:            0        ---        ---        ---          0
    BGP Next hop:   10.99.0.1
    IGP IPv4 table: master4

peer_node3 BGP        ---        start  05:14:14.428  Active        Socket: Connection refused
  BGP state:          Active
    Neighbor address: 10.99.0.3
    Neighbor AS:      65000
    Local AS:         65000
    Connect delay:    0.735/2
    Last error:       Socket: Connection refused
  Channel ipv4
    State:          DOWN
    Table:          master4
    Preference:     100
    Input filter:   peer_node3_import
    Output filter:  bgpmesh_export
    IGP IPv4 table: master4

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
export const NODE1 = answer({ agent: "active\nloaded", bird: `${SHOW_PROTOCOLS_ALL}@@exit 0`, lastRun: LAST_RUN_OK });
