// `birdc -r show protocols all` as BIRD prints it, for the parser and the status fixtures.

/**
 * Real output of BIRD 2.0.12 (Debian 12's bird2 package): three BIRD daemons on 127.0.0.1/.2/.4
 * with private control sockets, the first with an import filter accepting one prefix.
 * peer_node2: `import keep filtered on`, 1 accepted and 3 refused of 4 prefixes sent;
 * peer_node3: nobody listening (Active, channel down: no Routes line);
 * peer_node4: `import keep filtered off`, all 4 refused: BIRD prints no "filtered" count at all
 * (only the Import updates line counts them, as updates).
 */
export const BIRD2_ALL = `BIRD 2.0.12 ready.
Access restricted
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     10:56:54.778  

bgpmesh_static Static     master4    up     10:56:54.778  
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

peer_node2 BGP        ---        up     10:56:55.655  Established   
  BGP state:          Established
    Neighbor address: 127.0.0.2
    Neighbor AS:      65000
    Local AS:         65000
    Neighbor ID:      10.0.0.2
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
    Session:          internal multihop AS4
    Source address:   127.0.0.1
    Hold timer:       7.065/9
    Keepalive timer:  1.979/3
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     100
    Input filter:   only_allocated
    Output filter:  ACCEPT
    Routes:         1 imported, 3 filtered, 1 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              4          0          3          0          1
      Import withdraws:            0          0        ---          3          0
      Export updates:              2          1          0        ---          1
      Export withdraws:            0        ---        ---        ---          0
    BGP Next hop:   127.0.0.1
    IGP IPv4 table: master4

peer_node3 BGP        ---        start  10:56:54.778  Active        Socket: Connection refused
  BGP state:          Active
    Neighbor address: 127.0.0.3
    Neighbor AS:      65000
    Local AS:         65000
    Connect delay:    0.735/1
    Last error:       Socket: Connection refused
  Channel ipv4
    State:          DOWN
    Table:          master4
    Preference:     100
    Input filter:   only_allocated
    Output filter:  ACCEPT
    IGP IPv4 table: master4

peer_node4 BGP        ---        up     10:57:07.218  Established   
  BGP state:          Established
    Neighbor address: 127.0.0.4
    Neighbor AS:      65000
    Local AS:         65000
    Neighbor ID:      10.0.0.4
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
    Session:          internal multihop AS4
    Source address:   127.0.0.1
    Hold timer:       8.127/9
    Keepalive timer:  0.277/3
  Channel ipv4
    State:          UP
    Table:          master4
    Preference:     100
    Input filter:   only_allocated
    Output filter:  ACCEPT
    Routes:         0 imported, 1 exported, 0 preferred
    Route change stats:     received   rejected   filtered    ignored   accepted
      Import updates:              4          0          4          0          0
      Import withdraws:            0          0        ---          4          0
      Export updates:              2          1          0        ---          1
      Export withdraws:            0        ---        ---        ---          0
    BGP Next hop:   127.0.0.1
    IGP IPv4 table: master4

`;

/**
 * BIRD 3.1's layout, written after its source (nest/proto.c proto_cmd_show, channel_show_info and
 * channel_show_stats; proto/bgp/bgp.c bgp_show_proto_info): a "Created:" line per protocol,
 * Import/Export state per channel, two more stats columns, a "Pending" line per BGP channel.
 * peer_node2 has an ipv4 and an ipv6 channel.
 */
export const BIRD3_ALL = `BIRD 3.1.0 ready.
Access restricted
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     09:12:40.118  
  Created:            09:12:40.118

bgpmesh_static Static     master4    up     09:12:40.118  
  Created:            09:12:40.118
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   DOWN
    Table:          master4
    Preference:     200
    Input filter:   ACCEPT
    Output filter:  REJECT
    Routes:         1 imported, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              1          0          0          0          0          0          1
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              0          0          0          0        ---          0          0
      Export withdraws:            0        ---        ---          0        ---        ---          0

peer_node2 BGP        ---        up     09:12:43.502  Established   
  Created:            09:12:40.118
  BGP state:          Established
    Neighbor address: 10.99.0.2
    Neighbor AS:      65000
    Local AS:         65000
    Neighbor ID:      10.99.0.2
    Local capabilities
      Multiprotocol
        AF announced: ipv4 ipv6
      Route refresh
      Graceful restart
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Neighbor capabilities
      Multiprotocol
        AF announced: ipv4 ipv6
      Route refresh
      Graceful restart
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Session:          internal AS4
    Source address:   10.99.0.1
    Hold timer:       7.412/9
    Keepalive timer:  1.904/3
    TX pending:       0 bytes
    Send hold timer:  17.412/18
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   READY
    Table:          master4
    Preference:     100
    Input filter:   peer_node2_import
    Output filter:  bgpmesh_export
    Routes:         2 imported, 3 filtered, 1 exported, 2 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              5          0          3          0          0          0          2
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              3          2          0          0        ---          0          1
      Export withdraws:            0        ---        ---          0        ---        ---          0
    BGP Next hop:   10.99.0.1
    IGP IPv4 table: master4
    Pending 0 attribute sets with total 0 prefixes to send
  Channel ipv6
    State:          UP
    Import state:   UP
    Export state:   READY
    Table:          master6
    Preference:     100
    Input filter:   ACCEPT
    Output filter:  ACCEPT
    Routes:         1 imported, 0 filtered, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              1          0          0          0          0          0          1
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              0          0          0          0        ---          0          0
      Export withdraws:            0        ---        ---          0        ---        ---          0
    BGP Next hop:   ::ffff:10.99.0.1
    IGP IPv6 table: master6
    Pending 0 attribute sets with total 0 prefixes to send

peer_node3 BGP        ---        start  09:12:40.118  Active        Socket: Connection refused
  Created:            09:12:40.118
  BGP state:          Active
    Neighbor address: 10.99.0.3
    Neighbor AS:      65000
    Local AS:         65000
    Connect delay:    1.873/2
    Last error:       Socket: Connection refused
  Channel ipv4
    State:          DOWN
    Import state:   DOWN
    Export state:   DOWN
    Table:          master4
    Preference:     100
    Input filter:   peer_node3_import
    Output filter:  bgpmesh_export
    IGP IPv4 table: master4

`;

/**
 * Real output of BIRD 3.1.8 (Debian 13's bird3 package), `birdc -r show protocols all`: two bird3
 * daemons in network namespaces on 10.99.99.0/29, bird.conf from templates/bird/bird.conf.njk and
 * the agent's session lines (hold/keepalive, graceful restart, bfd graceful, password, an
 * allocation filter with `import keep filtered on`, receive and import limits).
 * peer_nodeb: Established, 3 prefixes sent, 2 accepted and 1 refused;
 * peer_nodec: nobody at its address (Active, channel DOWN: no Routes line).
 */
export const BIRD318_ALL = `BIRD 3.1.8 ready.
Access restricted
Name       Proto      Table      State  Since         Info
kernel1    Kernel     master4    up     13:18:54.635  
  Created:            13:18:54.635
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   READY
    Table:          master4
    Preference:     10
    Input filter:   REJECT
    Output filter:  (unnamed)
    Routes:         0 imported, 2 exported, 0 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              0          0          0          0          0          0          0
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              4          0          2          0        ---          0          2
      Export withdraws:            0        ---        ---          0        ---        ---          0

bgpmesh_static Static     master4    up     13:18:54.635  
  Created:            13:18:54.635
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   DOWN
    Table:          master4
    Preference:     200
    Input filter:   ACCEPT
    Output filter:  REJECT
    Routes:         1 imported, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              1          0          0          0          0          0          1
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              0          0          0          0        ---          0          0
      Export withdraws:            0        ---        ---          0        ---        ---          0

bfd1       BFD        ---        up     13:18:54.635  
  Created:            13:18:54.635

peer_nodeb BGP        ---        up     13:18:56.340  Established   
  Created:            13:18:54.635
  BGP state:          Established
    Neighbor address: 10.99.99.2
    Neighbor AS:      65000
    Local AS:         65000
    Neighbor ID:      10.99.99.2
    Local capabilities
      Multiprotocol
        AF announced: ipv4
      Route refresh
      Graceful restart
        Restart time: 60
        AF supported: ipv4
        AF preserved:
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Neighbor capabilities
      Multiprotocol
        AF announced: ipv4
      Route refresh
      Graceful restart
        Restart time: 60
        AF supported: ipv4
        AF preserved:
      4-octet AS numbers
      Enhanced refresh
      Long-lived graceful restart
    Session:          internal route-reflector AS4
    Source address:   10.99.99.1
    Hold timer:       56.687/90
    Keepalive timer:  12.866/30
    TX pending:       0 bytes
    Send hold timer:  138.669/180
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   READY
    Table:          master4
    Preference:     100
    Input filter:   (unnamed)
    Output filter:  bgpmesh_export
    Receive limit:  2000
      Action:       block
    Import limit:   1000
      Action:       block
    Routes:         2 imported, 1 filtered, 1 exported, 2 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              3          0          1          0          0          0          2
      Import withdraws:            0          0        ---          1        ---        ---          0
      Export updates:              4          2          1          0        ---          0          1
      Export withdraws:            0        ---        ---          0        ---        ---          0
    BGP Next hop:   10.99.99.1
    Pending 0 attribute sets with total 0 prefixes to send

peer_nodec BGP        ---        start  13:18:54.635  Active        Socket: No route to host
  Created:            13:18:54.635
  BGP state:          Active
    Neighbor address: 10.99.99.3
    Neighbor AS:      65000
    Local AS:         65000
    Connect delay:    0.591/2
    Last error:       Socket: No route to host
  Channel ipv4
    State:          DOWN
    Import state:   DOWN
    Export state:   DOWN
    Table:          master4
    Preference:     100
    Input filter:   (unnamed)
    Output filter:  bgpmesh_export
    Receive limit:  2000
      Action:       block
    Import limit:   1000
      Action:       block

device1    Device     ---        up     13:18:54.635  
  Created:            13:18:54.635

direct1    Direct     ---        up     13:18:54.635  
  Created:            13:18:54.635
  Channel ipv4
    State:          UP
    Import state:   UP
    Export state:   DOWN
    Table:          master4
    Preference:     240
    Input filter:   ACCEPT
    Output filter:  REJECT
    Routes:         1 imported, 0 exported, 1 preferred
    Route change stats:     received   rejected   filtered    ignored   RX limit      limit   accepted
      Import updates:              1          0          0          0          0          0          1
      Import withdraws:            0          0        ---          0        ---        ---          0
      Export updates:              0          0          0          0        ---          0          0
      Export withdraws:            0        ---        ---          0        ---        ---          0

`;
