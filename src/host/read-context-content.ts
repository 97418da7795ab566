/**
 * The bytes of a build context's listed files, read once at registration from the folder the
 * definition was read from, so the workspace can keep them as content. Each file is checked
 * against the sha256 it was listed with: a file changed between listing and reading is refused,
 * never stored under the old hash.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { constants } from "node:fs";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import { fileError } from "./file-errors.js";

/** `sha256:<hex>` → bytes of every regular file the definition's build context lists; empty otherwise. */
export async function readContextContent(definition: Definition): Promise<Map<string, Uint8Array>> {
  const content = new Map<string, Uint8Array>();
  const { base } = definition;
  if (base.kind !== "build") return content;
  const problems: Problem[] = [];
  for (const file of base.files) {
    if (file.linkTarget !== undefined || content.has(file.sha256)) continue;
    const path = join(base.contextPath, ...file.path.split("/"));
    let bytes: Buffer;
    try {
      // O_NOFOLLOW: the listing said a regular file; a symlink put there since is not followed.
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw fileError(path, "read the build context file", error);
    }
    const found = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (found !== file.sha256) {
      problems.push({
        file: path,
        key: "build context",
        message: "the file changed while the definition was read; register it again",
      });
      continue;
    }
    content.set(file.sha256, bytes);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return content;
}
