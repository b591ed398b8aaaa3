import { hostsOf, InventoryError, type Inventory } from "../inventory/index.js";

/**
 * The hosts `--limit` selects: comma-separated host or group names (`all` included); a leading
 * `!` excludes. No limit: every host. An unknown name is an error, not an empty run.
 */
export function selectHosts(inv: Inventory, limit?: string): string[] {
  const every = [...inv.hosts.keys()];
  if (!limit) return every;
  const include = new Set<string>();
  const exclude = new Set<string>();
  let anyInclude = false;
  for (const raw of limit.split(/[,:]/).map((p) => p.trim()).filter(Boolean)) {
    const negate = raw.startsWith("!");
    const name = negate ? raw.slice(1) : raw;
    let hosts: string[];
    if (inv.hosts.has(name)) hosts = [name];
    else if (inv.groups.has(name)) hosts = hostsOf(inv, name);
    else throw new InventoryError({ file: inv.file, line: 0, column: 0 }, `--limit names '${name}', which is neither a host nor a group of the inventory`);
    for (const h of hosts) (negate ? exclude : include).add(h);
    if (!negate) anyInclude = true;
  }
  return every.filter((h) => (anyInclude ? include.has(h) : true) && !exclude.has(h));
}
