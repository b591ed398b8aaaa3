import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The project's root folder, whether this code runs from src/ (tests) or dist/ (the CLI). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function projectFile(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
