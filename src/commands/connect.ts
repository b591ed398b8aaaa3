import { connectionOf, inventoryVarsOf, type Inventory } from "../inventory/index.js";
import { connectSsh } from "../transport/ssh.js";
import type { Transport } from "../transport/transport.js";

export interface ConnectFlags {
  acceptNewHostKeys?: boolean;
  /** seconds */
  timeout: number;
}

/** An SSH connection to an inventory host, made from its connection variables, its key checked. */
export function connectHost(inv: Inventory, host: string, flags: ConnectFlags): Promise<Transport> {
  return connectSsh(host, connectionOf(inventoryVarsOf(inv, host)), {
    acceptNewHostKeys: flags.acceptNewHostKeys === true,
    connectTimeoutMs: flags.timeout * 1000,
  });
}
