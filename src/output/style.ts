import { inspect } from "node:util";

type Style = "red" | "green" | "yellow" | "cyan" | "bold" | "dim";

/** Colour only for a terminal, unless NO_COLOR or FORCE_COLOR say otherwise. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

// util.styleText is Node 20.12+, and pull mode runs this code on the nodes' Node 18: util.inspect's
// colour table (what styleText reads too) is there in both.
export function styler(color: boolean): (style: Style, text: string) => string {
  return (style, text) => {
    if (!color) return text;
    const [open, close] = inspect.colors[style] ?? [0, 0];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}
