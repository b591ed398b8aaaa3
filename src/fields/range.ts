// A whole-number setting's allowed range, as the inventory checks (mesh/derive.ts) use it.

export interface WholeRange {
  readonly min: number;
  readonly max: number;
}

/** A whole number from range.min to range.max (YAML's `1h` or `0.5` are not). */
export function isWholeIn(value: unknown, range: WholeRange): boolean {
  return Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max;
}
