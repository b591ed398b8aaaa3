// Names that end up in tinc and BIRD files, in file names and on interfaces. Each is a strict
// pattern on the whole string, so nothing with a newline, a space, a `#`, `;`, `{` or `=` gets
// through: no value can end its line and start a tinc directive or a BIRD statement of its own.
import { z } from "zod";

/** tinc's node names (tinc.conf(5) "Name": letters, digits and `_`); also a file name in hosts/. */
export const TINC_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** A tinc network name: a directory under /etc/tinc and the instance of tinc@<name>. */
export const MESH_NAME = /^[A-Za-z0-9_]{1,15}$/;

/** A Linux interface name: at most 15 characters (IFNAMSIZ 16 with the NUL). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

// RFC 1123 labels. The last label must start with a letter: then no name can be something
// inet_aton would read as an address ("10.1", "0x7f000001", "1.2.3.999" are not host names).
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const LAST_LABEL = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DNS_NAME = new RegExp(`^(?:${LABEL}\\.)*${LAST_LABEL}$`);

export function isDnsName(text: string): boolean {
  return text.length <= 253 && DNS_NAME.test(text);
}

/** `localhost` and names under it (RFC 6761): they always resolve to this very host. */
export function isLocalhostName(text: string): boolean {
  return /(^|\.)localhost\.?$/i.test(text);
}

// The zod forms; messages are fixed text and never repeat the value.

export const tincNameField = z.string().regex(TINC_NAME, { error: "must be 1 to 64 letters, digits or _" });

export const meshNameField = z.string().regex(MESH_NAME, { error: "must be 1 to 15 letters, digits or _" });

export const interfaceNameField = z
  .string()
  .regex(INTERFACE_NAME, { error: "must be an interface name: 1 to 15 letters, digits, _ . -" });
