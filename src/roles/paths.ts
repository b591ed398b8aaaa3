import { posix } from "node:path";

/** Why a path a resource manages is unusable, or undefined when it is fine. */
export function absolutePathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `expected an absolute path, got ${JSON.stringify(path)}`;
  if (path.includes("\0") || path.includes("\n")) return "a path cannot contain NUL or newline characters";
  return undefined;
}

/** One spelling per path, so that /etc//x and /etc/x/ count as the same file as /etc/x. */
export function normalizePath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}
