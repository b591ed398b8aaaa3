// Reading the inventory's values for the mesh rules: where a value was set (for a file:line
// error), its text, whether the user set it, and yes/no flags. Shared by derive.ts and prefix-rules.ts.
import { InventoryError, type Inventory, type VarDef, type VarSet } from "../inventory/index.js";

export function errorAt(def: VarDef | undefined, inv: Inventory, host: string, key: string, problem: string): InventoryError {
  const o = def?.origin;
  return new InventoryError({ file: o?.file ?? inv.file, line: o?.line ?? 0, column: o?.column ?? 0, key, host }, `${host}: ${problem}`);
}

export function text(vars: VarSet, name: string): string | undefined {
  const v = vars.get(name)?.value;
  return v === undefined || v === null ? undefined : String(v);
}

/** Inventory values only: a role default never counts as "set by the user". */
export function userSet(vars: VarSet, name: string): VarDef | undefined {
  const def = vars.get(name);
  return def && def.origin.level !== "role_default" && def.value !== null && def.value !== undefined ? def : undefined;
}

/** A yes/no variable: true or false (also as text, as `-e key=value` gives it); unset is false. */
export function flag(inv: Inventory, h: string, def: VarDef | undefined, key: string): boolean {
  const value = def?.value;
  if (value === null || value === undefined || value === false || value === "false") return false;
  if (value === true || value === "true") return true;
  throw errorAt(def, inv, h, key, "must be true or false");
}
