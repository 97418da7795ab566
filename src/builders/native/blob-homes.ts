/**
 * Where this machine last pushed each layer blob (`registry/repository` by digest), so a push
 * to another repository of the same registry mounts the blob instead of sending it again: two
 * environments that share a package group share its layer. One small file per digest, written
 * whole with a rename; a wrong or stale entry only costs the mount, which then falls back to an
 * upload (the registry answers 202 instead of 201).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface BlobHomes {
  /** A repository (`registry/path`) that had the blob, if one is known. */
  get(digest: string): Promise<string | undefined>;
  set(digest: string, repository: string): Promise<void>;
}

export function fileBlobHomes(dir: string): BlobHomes {
  const fileOf = (digest: string): string => join(dir, digest.replace(/^sha256:/, ""));
  return {
    async get(digest) {
      try {
        const text = (await readFile(fileOf(digest), "utf8")).trim();
        return text === "" ? undefined : text;
      } catch {
        return undefined;
      }
    },
    async set(digest, repository) {
      await mkdir(dir, { recursive: true });
      const partial = `${fileOf(digest)}.${randomBytes(4).toString("hex")}.part`;
      await writeFile(partial, `${repository}\n`);
      await rename(partial, fileOf(digest));
    },
  };
}
