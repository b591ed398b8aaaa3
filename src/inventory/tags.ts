import { readFileSync } from "node:fs";
import type { ScalarTag, Tags } from "yaml";
import { resolvePath } from "../util/paths.js";
import { Secret } from "./secret.js";

export const SECRET_TAGS = ["!secret", "!env", "!file"] as const;

export interface TagContext {
  /** Directory that relative `!file` paths start from. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

// The resolvers report problems through onError, which the yaml library turns into an error at the tag's
// own position, so the message can name file:line without this code tracking positions.
function secretTags({ baseDir, env }: TagContext): ScalarTag[] {
  return [
    {
      tag: "!secret",
      resolve(value, onError) {
        if (value === "") onError("!secret needs a value after it");
        return new Secret(value, "!secret");
      },
    },
    {
      tag: "!env",
      resolve(name, onError) {
        const value = env[name];
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) onError(`!env needs an environment variable name, got "${name}"`);
        else if (value === undefined) onError(`environment variable ${name} is not set (!env ${name})`);
        else if (value === "") onError(`environment variable ${name} is empty (!env ${name})`);
        return new Secret(value ?? "", `!env ${name}`);
      },
    },
    {
      tag: "!file",
      resolve(path, onError) {
        if (path === "") {
          onError("!file needs a file path after it");
          return new Secret("", "!file");
        }
        try {
          // A key or token file almost always ends in a newline that is not part of the secret.
          const text = readFileSync(resolvePath(baseDir, path), "utf8").replace(/[\r\n]+$/, "");
          return new Secret(text, `!file ${path}`);
        } catch (e) {
          onError(`cannot read secret file ${path} (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`);
          return new Secret("", `!file ${path}`);
        }
      },
    },
  ];
}

/**
 * The YAML 1.1 tags (as Ansible reads YAML) plus ours, minus timestamps and sexagesimal numbers: in an
 * inventory "2024-01-01" and "1:20" are meant as text, and a Date object or 80 would surprise in a template.
 */
export function inventoryTags(ctx: TagContext): (tags: Tags) => Tags {
  const isTime = (t: Tags[number]) =>
    typeof t === "string"
      ? ["timestamp", "intTime", "floatTime"].includes(t)
      : t.tag.endsWith(":timestamp") || t.format === "TIME";
  return (tags) => [...tags.filter((t) => !isTime(t)), ...secretTags(ctx)];
}
