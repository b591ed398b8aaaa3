import { createHash } from "node:crypto";
import type { FileResource } from "./file.js";

export function fileBytes(r: FileResource): Buffer {
  return r.binary ? Buffer.from(r.content, "base64") : Buffer.from(r.content, "utf8");
}

export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Text we can diff: valid UTF-8 without NUL bytes. */
export function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}
