// tinc's own settings, as the provisioner checks them in the inventory and the agent in its config.
import { z } from "zod";
import { isUnicastIpv4 } from "./ipv4.js";
import { isDnsName, isLocalhostName } from "./names.js";

/** tinc's KeyExpire in seconds (see the agent's desired-files.ts for why it is short by default). */
export const TINC_KEY_EXPIRE = { min: 10, max: 86400 } as const;

/**
 * Where tinc connects to: written as `Address = ...`, resolved by tinc. Never this host itself:
 * loopback addresses are not unicast here, and `localhost` names are refused (tinc would dial itself).
 */
export const endpointAddressField = z
  .string()
  .refine((s) => isUnicastIpv4(s) || isDnsName(s), { error: "must be a unicast IPv4 address or a DNS name" })
  .refine((s) => !isLocalhostName(s), { error: "must not be a localhost name: tinc would connect to itself" });
