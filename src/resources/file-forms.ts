// The role-file forms that declare a file: `template:` (a nunjucks file of the role's folder,
// rendered per host) and `copy:` (inline `content:` that may use variables, or a project `file:`
// copied byte for byte).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { hasTemplateSyntax } from "../render/index.js";
import { isText } from "./content.js";
import type { FileResource } from "./file.js";
import type { ExpandApi, ParseApi, RoleForm, Str } from "./kind.js";
import { notify, ownership, text, when } from "./schema-parts.js";

interface FileItem {
  dest: Str;
  owner: Str;
  group: Str;
  mode: string;
  notify: string[];
  validate?: Str;
  force?: boolean;
}

function fileItem(p: ParseApi): FileItem {
  const validate = p.opt("validate");
  return { dest: p.str("dest"), ...p.fileLike("0644"), ...(validate && { validate }), ...(p.data["force"] !== undefined && { force: p.data["force"] as boolean }) };
}

function fileResource(item: FileItem, x: ExpandApi, content: { text: string; source: string; binary?: boolean }): FileResource {
  return {
    kind: "file",
    path: x.path(item.dest),
    content: content.text,
    ...(content.binary && { binary: true }),
    owner: x.render(item.owner),
    group: x.render(item.group),
    mode: item.mode,
    ...(item.validate && { validate: x.render(item.validate) }),
    ...(item.force === false && { force: false }),
    notify: item.notify,
    secret: x.holdsSecret(content.text),
    source: content.source,
    origin: x.origin,
  };
}

const fileSettings = { dest: text, ...ownership, validate: text.optional(), force: z.boolean().optional(), notify, when };

export const templateForm: RoleForm<FileItem & { src: Str }> = {
  key: "template",
  schema: z.strictObject({ src: text, ...fileSettings }),
  parse(p) {
    const src = p.str("src");
    // A name with variables is known per host only: checked when rendered.
    if (!hasTemplateSyntax(src.text)) p.checkTemplate(src);
    return { ...fileItem(p), src };
  },
  paths: ["dest"],
  expand: (item, x) => fileResource(item, x, x.renderTemplate(item.src)),
};

export const copyForm: RoleForm<FileItem & ({ content: Str } | { file: Str })> = {
  key: "copy",
  schema: z.strictObject({ content: text.optional(), file: text.optional(), ...fileSettings }),
  parse(p) {
    if ((p.data["content"] === undefined) === (p.data["file"] === undefined)) {
      throw p.error([], "a copy has either 'content' (text, may use variables) or 'file' (a file of the project, copied as is)");
    }
    // Whether the file exists is checked when the resource is kept for a host: a pull on a node
    // skips, by `when:`, what only a push from a built checkout can copy.
    const file = p.opt("file");
    return { ...fileItem(p), ...(file ? { file: { text: join(p.dir, file.text), at: file.at } } : { content: p.str("content") }) };
  },
  paths: ["dest"],
  expand(item, x) {
    if ("content" in item) return fileResource(item, x, { text: x.render(item.content), source: "content" });
    // A project file is copied as it is: no variables, and bytes that are not text go as base64.
    if (!existsSync(item.file.text)) throw x.error(item.file.at, fileMissing(item.file.text));
    const { text, binary } = projectFileContent(item.file.text);
    return fileResource(item, x, { text, source: `file:${item.file.text}`, binary });
  },
};

/**
 * A project file's content as a file resource holds it, read once per run for all hosts while its
 * size and times stay the same: the agent's bundle (over a megabyte) was read, checked for text and
 * decoded again for every host.
 */
const projectFiles = new Map<string, { stamp: string; text: string; binary: boolean }>();
function projectFileContent(path: string): { text: string; binary: boolean } {
  const st = statSync(path);
  const stamp = `${st.size} ${st.mtimeMs} ${st.ctimeMs} ${st.ino}`;
  const known = projectFiles.get(path);
  if (known?.stamp === stamp) return known;
  const bytes = readFileSync(path);
  const binary = !isText(bytes);
  const entry = { stamp, text: binary ? bytes.toString("base64") : bytes.toString("utf8"), binary };
  projectFiles.set(path, entry);
  return entry;
}

function fileMissing(path: string): string {
  const built = /\/dist\//.test(path) ? " (run npm run build)" : "";
  return `file '${path}' not found${built}`;
}
