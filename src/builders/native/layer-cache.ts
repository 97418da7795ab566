/**
 * The native builder's layer cache (`$ENVFORGE_HOME/cache/layers`): a layer's bytes are a pure
 * function of what goes into it (its packages, the prefix, SOURCE_DATE_EPOCH, the tar and gzip
 * settings, the installers' format), so the builder keys each layer by a digest of exactly those
 * inputs and remembers key → (blob digest, size, diff_id) here, with the compressed blob itself.
 * A rebuild whose layer key is known writes and compresses nothing: the registry's HEAD says
 * whether the blob must be sent at all, and if so it is sent from here, after its sha256 is
 * checked (a damaged blob is dropped and the layer written again).
 *
 * Layout: `keys/<key>.json` (one small record per key), `blobs/<sha256 hex>` (the gzip blob),
 * `tmp/` for blobs being written. Records and blobs appear only by renaming a finished file, so
 * what is there is whole. The blobs are kept under a size bound, least recently used first
 * (a use touches the blob); blobs used in the last GRACE_MS are never removed, so a build that
 * runs beside the trim keeps the blobs it is about to send. A record whose blob is gone still
 * saves the work when the registry has the blob.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { canonicalJson } from "../../definition/canonical-json.js";
import { GZIP_BLOCK } from "./block-gzip.js";
import { GZIP_LEVEL, writeLayer } from "./layer-tar.js";
import type { LayerSource, WrittenLayer } from "./layer-tar.js";

/**
 * Bump when the same inputs would give other layer bytes: the tar writer (fixed-tar.ts,
 * layer-tar.ts), the conda linker or the wheel installer writing a file differently. Every
 * older key is then unknown and its layer is written anew (the golden digest test says when).
 */
export const LAYER_CACHE_FORMAT = 6;

/** Default bound of the blobs kept. */
export const DEFAULT_LAYER_CACHE_BYTES = 4 * 1024 ** 3;
/** Records untouched this long are removed by a trim. */
const RECORD_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** Blobs used this recently are never trimmed (another build may be sending them). */
const GRACE_MS = 15 * 60 * 1000;

export interface LayerRecord {
  /** `sha256:` of the compressed blob. */
  readonly digest: string;
  readonly size: number;
  /** `sha256:` of the tar. */
  readonly diffId: string;
}

const Record = z.object({
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  diffId: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

export interface LayerCacheOptions {
  readonly dir: string;
  /** Blobs kept at most (bytes); default DEFAULT_LAYER_CACHE_BYTES. */
  readonly maxBytes?: number;
  /** Wall-clock milliseconds, for the trim's ages; default Date.now. */
  readonly now?: () => number;
}

export class LayerCache {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #now: () => number;
  /** The cache's folders, made once per instance (again after a failure). */
  #folders: Promise<unknown> | undefined;

  constructor(options: LayerCacheOptions) {
    this.dir = options.dir;
    this.#maxBytes = options.maxBytes ?? DEFAULT_LAYER_CACHE_BYTES;
    this.#now = options.now ?? (() => Date.now());
  }

  /**
   * The key of a layer made from `inputs` (everything that changes its bytes; plain data). The
   * cache's format, the gzip level and the zlib Node bundles are added here: deflate's output is
   * fixed per zlib version and level, not across them.
   */
  static keyOf(inputs: unknown): string {
    const plain: unknown = JSON.parse(JSON.stringify(inputs));
    const text = canonicalJson({
      format: LAYER_CACHE_FORMAT,
      gzipLevel: GZIP_LEVEL,
      gzipBlock: GZIP_BLOCK,
      zlib: process.versions.zlib ?? "",
      inputs: plain,
    });
    return createHash("sha256").update(text).digest("hex");
  }

  blobPath(digest: string): string {
    return join(this.dir, "blobs", digest.replace(/^sha256:/, ""));
  }

  /** The record of a key, or undefined (also for a record that does not parse). */
  async get(key: string): Promise<LayerRecord | undefined> {
    const path = this.#recordPath(key);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, "utf8"));
    } catch {
      return undefined;
    }
    const parsed = Record.safeParse(value);
    if (!parsed.success) {
      await rm(path, { force: true });
      return undefined;
    }
    await touch(path, this.#now());
    return parsed.data;
  }

  /**
   * The record's blob, read back and checked: its path when its bytes have the record's sha256
   * and size; `missing` when it is not there, `damaged` (with what its bytes hash to) when they
   * are not the record's (the blob and the key's record are then removed).
   */
  async verifiedBlob(
    key: string,
    record: LayerRecord,
  ): Promise<
    { readonly path: string } | { readonly missing: true } | { readonly damaged: string }
  > {
    const path = this.blobPath(record.digest);
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of createReadStream(path)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch {
      return { missing: true };
    }
    const found = `sha256:${hash.digest("hex")}`;
    if (found !== record.digest || size !== record.size) {
      await rm(path, { force: true });
      await rm(this.#recordPath(key), { force: true });
      return { damaged: `${found} (${size} bytes)` };
    }
    await touch(path, this.#now());
    return { path };
  }

  /** Writes the layer's blob into the cache and records it under `key`. */
  async write(
    key: string,
    source: LayerSource,
    sourceDateEpoch: number,
    options: { readonly keepInMemory?: number } = {},
  ): Promise<WrittenLayer> {
    const partial = join(this.dir, "tmp", `${key}.${randomBytes(6).toString("hex")}.part`);
    try {
      // The folders are made once per instance; again after any failure (gc may remove them).
      await (this.#folders ??= Promise.all(
        ["tmp", "blobs", "keys"].map((name) => mkdir(join(this.dir, name), { recursive: true })),
      ));
      const written = await writeLayer({
        ...source,
        sourceDateEpoch,
        destination: partial,
        ...options,
      });
      const path = this.blobPath(written.digest);
      await rename(partial, path);
      const record: LayerRecord = {
        digest: written.digest,
        size: written.size,
        diffId: written.diffId,
      };
      const recordPartial = `${partial}.json`;
      await writeFile(recordPartial, `${JSON.stringify(record)}\n`);
      await rename(recordPartial, this.#recordPath(key));
      return { ...written, path };
    } catch (error) {
      this.#folders = undefined;
      await rm(partial, { force: true });
      await rm(`${partial}.json`, { force: true });
      throw error;
    }
  }

  /**
   * Removes the least recently used blobs until the rest fit the bound (never one of `keep`, nor
   * one used within the grace period), records untouched for a month, and stale partial blobs.
   */
  async trim(keep: ReadonlySet<string> = new Set()): Promise<{ readonly removed: number }> {
    const now = this.#now();
    const blobs: { name: string; size: number; usedMs: number }[] = [];
    for (const name of await readdir(join(this.dir, "blobs")).catch(() => [])) {
      const info = await stat(join(this.dir, "blobs", name)).catch(() => undefined);
      if (info !== undefined) blobs.push({ name, size: info.size, usedMs: info.mtimeMs });
    }
    let total = blobs.reduce((sum, b) => sum + b.size, 0);
    let removed = 0;
    blobs.sort((a, b) => a.usedMs - b.usedMs || (a.name < b.name ? -1 : 1));
    for (const blob of blobs) {
      if (total <= this.#maxBytes) break;
      if (keep.has(`sha256:${blob.name}`) || now - blob.usedMs < GRACE_MS) continue;
      await rm(join(this.dir, "blobs", blob.name), { force: true });
      total -= blob.size;
      removed += 1;
    }
    // Blobs of builds that died while writing them.
    for (const name of await readdir(join(this.dir, "tmp")).catch(() => [])) {
      const info = await stat(join(this.dir, "tmp", name)).catch(() => undefined);
      if (info !== undefined && now - info.mtimeMs > GRACE_MS) {
        await rm(join(this.dir, "tmp", name), { force: true });
      }
    }
    for (const name of await readdir(join(this.dir, "keys")).catch(() => [])) {
      const info = await stat(join(this.dir, "keys", name)).catch(() => undefined);
      if (info !== undefined && now - info.mtimeMs > RECORD_MAX_AGE_MS) {
        await rm(join(this.dir, "keys", name), { force: true });
      }
    }
    return { removed };
  }

  #recordPath(key: string): string {
    return join(this.dir, "keys", `${key}.json`);
  }
}

/** A use is the file's modification time (atime is often not kept: noatime, relatime). */
async function touch(path: string, nowMs: number): Promise<void> {
  const at = new Date(nowMs);
  await utimes(path, at, at).catch(() => undefined);
}
