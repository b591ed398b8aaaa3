import { styleText } from "node:util";

type Style = "red" | "green" | "yellow" | "cyan" | "bold" | "dim";

/** Colour only for a terminal, unless NO_COLOR or FORCE_COLOR say otherwise. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function styler(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? styleText(style, text) : text);
}
