import { InvalidArgumentError } from "commander";

/** A parser for a numeric option: above zero (from zero with allowZero), named in the message. */
export function numberOption(what: string, opts: { allowZero?: boolean; unit?: string } = {}): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (!opts.allowZero && n === 0)) {
      throw new InvalidArgumentError(`${what} must be a ${opts.allowZero ? "non-negative" : "positive"} number${opts.unit ? ` of ${opts.unit}` : ""}`);
    }
    return n;
  };
}
