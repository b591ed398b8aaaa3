// tinc's own settings, as the provisioner checks them in the inventory and the agent in its config.
import { z } from "zod";
import { isUnicastIpv4 } from "./ipv4.js";
import { isUnicastIpv6 } from "./ipv6.js";
import { isDnsName, isLocalhostName } from "./names.js";
import { doubledPerDoubling, type SizeBase } from "./mesh-size.js";

/** tinc's KeyExpire in seconds (see the agent's desired-files.ts for why it is short by default). */
export const TINC_KEY_EXPIRE = { min: 10, max: 86400 } as const;

/** KeyExpire of a mesh of up to this many nodes when the inventory sets none. */
export const KEY_EXPIRE_BASE: SizeBase = { seconds: 30, nodes: 30 };

/**
 * The KeyExpire a mesh of `nodes` gets when the inventory sets none: 30 s up to 30 nodes, doubled
 * per doubling beyond. Each renewal is a KEY_CHANGED that tinc 1.0 floods to every node over every
 * meta-connection (each node gets it once per connection, ~6 of them with a ring of 3) and a new
 * key request from every peer that talks to the node. Here it stays at most one broadcast a second
 * per node. The price: a peer left with a stale key after a restart (see desired-files.ts) waits
 * up to this long.
 */
export function defaultKeyExpire(nodes: number): number {
  return doubledPerDoubling(KEY_EXPIRE_BASE, nodes, TINC_KEY_EXPIRE.max);
}

/**
 * Where tinc connects to: written as `Address = ...`, resolved by tinc. Never this host itself:
 * loopback addresses are not unicast here, and `localhost` names are refused (tinc would dial itself).
 * An IPv6 address is bare (tinc's host file has the port on its own line) and in its shortest form.
 */
export const endpointAddressField = z
  .string()
  .refine((s) => isUnicastIpv4(s) || isUnicastIpv6(s) || isDnsName(s), { error: "must be a unicast IPv4 address, an IPv6 address in its shortest form or a DNS name" })
  .refine((s) => !isLocalhostName(s), { error: "must not be a localhost name: tinc would connect to itself" });
