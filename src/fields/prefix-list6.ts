// Announced IPv6 prefixes, as the agent's config and its /ipv6/peers/ record hold them: the IPv6
// twin of ipv4.ts's prefixListField (canonical CIDRs, none twice, a bounded list).
import { z } from "zod";
import { MAX_PREFIXES } from "./ipv4.js";
import { prefix6Field } from "./prefix-range.js";

export const prefix6ListField = z
  .array(prefix6Field)
  .max(MAX_PREFIXES, { error: `at most ${MAX_PREFIXES} prefixes` })
  .refine((list) => new Set(list).size === list.length, { error: "has a prefix twice" });
