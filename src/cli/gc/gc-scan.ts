/**
 * What `envforge gc` looks at: the build-context folder, the package cache, the engine's envforge
 * images under the configured registry, and the image hashes every version points to.
 */
import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { imageHash } from "../../definition/image-hash.js";
import type { EnvironmentService } from "../../workspace/index.js";
import { ANSWER_CACHES, homeCacheDir } from "../../host/home-caches.js";
import type { AnswerEntry, CacheEntry, ContextFolder, LocalImage } from "./gc-plan.js";

export const IMAGE_HASH_LABEL = "dev.envforge.image-hash";

export async function scanContexts(dir: string): Promise<ContextFolder[]> {
  const names = await readdir(dir).catch(() => []);
  const folders: ContextFolder[] = [];
  for (const name of names.sort()) {
    const info = await lstat(join(dir, name)).catch(() => undefined);
    if (info !== undefined) folders.push({ path: join(dir, name), modifiedMs: info.mtimeMs });
  }
  return folders;
}

/**
 * Upload folders (`envforge-upload-*` in the system temp folder) left by servers before uploads
 * were read in memory, when a server was killed mid-request; nothing makes them any more.
 */
export async function scanUploadLeftovers(tempDir: string): Promise<ContextFolder[]> {
  const names = (await readdir(tempDir).catch(() => [])).filter((name) =>
    name.startsWith("envforge-upload-"),
  );
  const folders: ContextFolder[] = [];
  for (const name of names.sort()) {
    const info = await lstat(join(tempDir, name)).catch(() => undefined);
    if (info?.isDirectory() === true) {
      folders.push({ path: join(tempDir, name), modifiedMs: info.mtimeMs });
    }
  }
  return folders;
}

/** The package cache's layout (conda/package-cache.ts): archives/<sha>.<ext>, extracted/<sha>/. */
export async function scanCache(dir: string): Promise<CacheEntry[]> {
  const entries = new Map<string, { bytes: number; lastUsedMs: number }>();
  const note = (key: string, bytes: number, usedMs: number): void => {
    const seen = entries.get(key) ?? { bytes: 0, lastUsedMs: 0 };
    entries.set(key, { bytes: seen.bytes + bytes, lastUsedMs: Math.max(seen.lastUsedMs, usedMs) });
  };
  for (const name of await readdir(join(dir, "archives")).catch(() => [])) {
    const info = await stat(join(dir, "archives", name)).catch(() => undefined);
    const key = name.split(".")[0] ?? name;
    if (info !== undefined) note(key, info.size, Math.max(info.mtimeMs, info.atimeMs));
  }
  for (const name of await readdir(join(dir, "extracted")).catch(() => [])) {
    const usage = await treeUsage(join(dir, "extracted", name));
    note(name, usage.bytes, usage.lastUsedMs);
  }
  const locks = new Set(
    (await readdir(join(dir, "locks")).catch(() => [])).map((n) => n.replace(/\.lock$/, "")),
  );
  return [...entries.entries()]
    .map(([key, e]) => ({ key, ...e, locked: locks.has(key) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * The native builder's layer cache (builders/native/layer-cache.ts): `blobs/<sha256 hex>`, each
 * used last at its modification time (the builder touches a blob it uses). Its `keys/` records
 * stay: a record whose blob is gone still lets a build skip a layer the registry has.
 */
export async function scanLayerCache(dir: string): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const name of (await readdir(join(dir, "blobs")).catch(() => [])).sort()) {
    const info = await stat(join(dir, "blobs", name)).catch(() => undefined);
    if (info?.isFile() === true) {
      entries.push({ key: name, bytes: info.size, lastUsedMs: info.mtimeMs, locked: false });
    }
  }
  return entries;
}

/**
 * The files of the caches that remember one answer per file (home-caches.ts), each used last at
 * its modification or access time.
 */
export async function scanAnswerCaches(home: string): Promise<AnswerEntry[]> {
  const entries: AnswerEntry[] = [];
  for (const cache of ANSWER_CACHES) {
    const dir = homeCacheDir(home, cache);
    for (const name of (await readdir(dir).catch(() => [])).sort()) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() === true) {
        const lastUsedMs = Math.max(info.mtimeMs, info.atimeMs);
        entries.push({
          key: `${cache}/${name}`,
          path,
          bytes: info.size,
          lastUsedMs,
          locked: false,
        });
      }
    }
  }
  return entries;
}

async function treeUsage(path: string): Promise<{ bytes: number; lastUsedMs: number }> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return { bytes: 0, lastUsedMs: 0 };
  let bytes = info.isDirectory() ? 0 : info.size;
  let lastUsedMs = Math.max(info.mtimeMs, info.atimeMs);
  if (info.isDirectory()) {
    for (const name of await readdir(path).catch(() => [])) {
      const child = await treeUsage(join(path, name));
      bytes += child.bytes;
      lastUsedMs = Math.max(lastUsedMs, child.lastUsedMs);
    }
  }
  return { bytes, lastUsedMs };
}

/** envforge images (by label) with a tag under `registry/`: the ones this workspace made. */
export async function scanImages(docker: Docker, registry: string): Promise<LocalImage[]> {
  const prefix = `${registry.replace(/\/+$/, "")}/`;
  const images = await docker.listImages({ filters: { label: [IMAGE_HASH_LABEL] } });
  return images
    .filter((image) => (image.RepoTags ?? []).some((tag) => tag.startsWith(prefix)))
    .map((image) => ({
      id: image.Id,
      imageHash: image.Labels?.[IMAGE_HASH_LABEL] ?? "",
      createdMs: image.Created * 1000,
    }))
    .filter((image) => image.imageHash !== "")
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Image hashes of every version of every workspace, archived ones and curated ones included. */
export async function pointedImageHashes(
  service: EnvironmentService,
  /** Versions a dry run of the retention policy would delete: they point to nothing. */
  without?: { readonly deleted: readonly { readonly name: string; readonly version: number }[] },
): Promise<Set<string>> {
  const hashes = new Set<string>();
  const gone = new Set((without?.deleted ?? []).map((v) => `${v.name}@${v.version}`));
  const add = (v: {
    name: string;
    version: number;
    definitionHash: string;
    lock?: Parameters<typeof imageHash>[1];
  }): void => {
    if (gone.has(`${v.name}@${v.version}`)) return;
    hashes.add(imageHash(v.definitionHash, v.lock));
  };
  for (const workspace of await service.listWorkspaces()) {
    for (const curated of await service.listCurated({ workspace: workspace.name })) add(curated);
    let cursor: string | undefined;
    do {
      const page = await service.listEnvironments({
        workspace: workspace.name,
        includeArchived: true,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const environment of page.items) {
        let versionCursor: string | undefined;
        do {
          const versions = await service.listVersions({
            workspace: workspace.name,
            name: environment.name,
            includeArchived: true,
            ...(versionCursor === undefined ? {} : { cursor: versionCursor }),
          });
          versions.items.forEach(add);
          versionCursor = versions.nextCursor;
        } while (versionCursor !== undefined);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  return hashes;
}
