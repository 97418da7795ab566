/**
 * A build context's files for a build: read from the workspace's content store by sha256 and
 * verified against the registered listing before anything uses them. Messages name the file as
 * listed, never a server path, a size or what the store held.
 */
import { createHash } from "node:crypto";
import type { ContextFile } from "../definition/definition.js";
import type { ContextContentSource } from "./image-builder.js";
import { BuildFailedError } from "./image-builder.js";

/** Listed path → verified bytes, for every regular file of the listing. */
export async function verifiedContextFiles(
  files: readonly ContextFile[],
  source: ContextContentSource | undefined,
): Promise<ReadonlyMap<string, Uint8Array>> {
  const verified = new Map<string, Uint8Array>();
  for (const file of files) {
    if (file.linkTarget !== undefined) continue;
    const content = source === undefined ? undefined : await source.read(file.sha256);
    if (content === undefined) {
      throw new BuildFailedError(
        `build context file "${file.path}" is not in the workspace's content store; register the definition again from its folder`,
        { step: "context", lastLines: [] },
      );
    }
    const found = `sha256:${createHash("sha256").update(content).digest("hex")}`;
    if (found !== file.sha256) {
      throw new BuildFailedError(
        `build context file "${file.path}" does not match the sha256 it was registered with (${file.sha256}); the workspace's copy was changed, so nothing was built`,
        { step: "context", lastLines: [] },
      );
    }
    verified.set(file.path, content);
  }
  return verified;
}
