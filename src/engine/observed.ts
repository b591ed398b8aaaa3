// What one probe saw on a host: plain data, parsed from the probe's tagged lines.

export type PathState =
  | { type: "missing" }
  | { type: "other"; what: string }
  | { type: "directory"; owner: string; group: string; mode: string }
  | {
      type: "file";
      owner: string;
      group: string;
      mode: string;
      size: number;
      sha256: string;
      /** base64 of the current content: sent only when it differs from the desired one (for the diff) */
      content?: string;
    };

export interface UnitState {
  load: string;
  active: string;
  enabled: string;
}

export interface Observed {
  hostname: string;
  systemd: boolean;
  packages: Record<string, { installed: boolean; version: string }>;
  paths: Record<string, PathState>;
  units: Record<string, UnitState>;
  /** by resource index: true when the command's guard says it has already run */
  guards: Record<number, boolean>;
  /** handlers an earlier, interrupted run owes */
  pendingHandlers: string[];
  /** by handler index: the answer of its `serial` test */
  serialHandlers: Record<number, boolean>;
  /** by resource index: a certificate resource's public key, certificate and CA file (public data only) */
  certs: Record<number, { publicKey?: string; cert?: string; ca?: string }>;
}

const fourDigits = (mode: string) => mode.padStart(4, "0");

/** Parses the probe's output (see probe-script.ts for the line format). */
export function parseProbe(output: string): Observed {
  const o: Observed = { hostname: "", systemd: false, packages: {}, paths: {}, units: {}, guards: {}, pendingHandlers: [], serialHandlers: {}, certs: {} };
  for (const line of output.split("\n")) {
    const f = line.split("\t");
    switch (f[0]) {
      case "F":
        if (f[1] === "hostname") o.hostname = f[2] ?? "";
        if (f[1] === "systemd") o.systemd = f[2] === "yes";
        break;
      case "K":
      case "X":
      case "A": {
        const i = Number(f[1]);
        const text = Buffer.from(f[2] ?? "", "base64").toString("utf8");
        const c = (o.certs[i] ??= {});
        if (f[0] === "K") c.publicKey = text;
        else if (f[0] === "X") c.cert = text;
        else c.ca = text;
        break;
      }
      case "P":
        // db:Status-Abbrev is "ii " for an installed package
        o.packages[f[1]!] = { installed: (f[2] ?? "").startsWith("ii"), version: f[3] ?? "" };
        break;
      case "S": {
        const [, path, type, owner, group, mode, size, sha] = f;
        if (type === "missing") o.paths[path!] = { type: "missing" };
        else if (type === "directory") o.paths[path!] = { type, owner: owner!, group: group!, mode: fourDigits(mode!) };
        else if (type === "file") {
          o.paths[path!] = { type, owner: owner!, group: group!, mode: fourDigits(mode!), size: Number(size), sha256: sha! };
        } else o.paths[path!] = { type: "other", what: type ?? "unknown" };
        break;
      }
      case "C": {
        const st = o.paths[f[1]!];
        if (st?.type === "file") st.content = f[2] ?? "";
        break;
      }
      case "U": {
        const unit = (o.units[f[1]!] ??= { load: "", active: "", enabled: "" });
        const [key, value = ""] = (f[2] ?? "").split("=", 2);
        if (key === "LoadState") unit.load = value;
        if (key === "ActiveState") unit.active = value;
        if (key === "UnitFileState") unit.enabled = value;
        break;
      }
      case "G":
        o.guards[Number(f[1])] = f[2] === "1";
        break;
      case "Q":
        o.serialHandlers[Number(f[1])] = f[2] === "1";
        break;
      case "H":
        if (f[1]) o.pendingHandlers.push(f[1]);
        break;
    }
  }
  return o;
}
