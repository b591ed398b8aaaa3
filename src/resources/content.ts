import { createHash } from "node:crypto";
import type { FileResource } from "./file.js";

export function fileBytes(r: FileResource): Buffer {
  return r.binary ? Buffer.from(r.content, "base64") : Buffer.from(r.content, "utf8");
}

export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The SHA-256 of a file resource's bytes. A large content is the same string for every host (a
 * project file read once: file-forms.ts), so its digest is kept: the probe and the plan each
 * hashed the agent's bundle again for every host.
 */
const LARGE = 64 * 1024;
// By how the content is held (base64 or text): the same string means different bytes in each.
const largeDigests = { binary: new Map<string, string>(), text: new Map<string, string>() };
export function contentSha256(r: FileResource): string {
  if (r.content.length < LARGE) return sha256(fileBytes(r));
  const known = largeDigests[r.binary ? "binary" : "text"];
  let digest = known.get(r.content);
  if (digest === undefined) {
    digest = sha256(fileBytes(r));
    known.set(r.content, digest);
  }
  return digest;
}

/** Text we can diff: valid UTF-8 without NUL bytes. */
export function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}
