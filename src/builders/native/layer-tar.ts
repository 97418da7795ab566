/**
 * One image layer from folders on disk, with reproducible bytes: entries sorted by path, owners
 * 0:0 with no names, every time the same instant (SOURCE_DATE_EPOCH), modes normalised (0755 for
 * folders and executables, 0644 for other files, 0777 for links) so the packing machine's umask
 * cannot show through, and gzip with fixed settings.
 *
 * gzip: blocks of GZIP_BLOCK bytes deflated side by side at level GZIP_LEVEL (block-gzip.ts),
 * with no name and a zero time in the header; deflate is deterministic for a given zlib version
 * and settings, so the same tar gives the same bytes on every machine whose Node bundles the same
 * zlib (Node pins its zlib per release line), whatever its number of cores.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { byCodeUnits } from "../../definition/canonical-json.js";
import { InternalError } from "../../errors/index.js";
import { fixedTar } from "../fixed-tar.js";
import { blockGzip } from "./block-gzip.js";

export const GZIP_LEVEL = 6;

/**
 * Bytes of the blob that may wait for the disk while one write is under way, then go in one
 * writev. With the stream's default 16 KiB, each piece (a stored block's 64 KiB is two: header
 * and data) waited for the write before it: 130 trips to the thread pool for a 4 MiB layer.
 */
const WRITE_BUFFER = 4 * 1024 * 1024;

/** A folder placed at `at` in the image (no leading or trailing `/`; "" is the image's `/`). */
export interface LayerTree {
  readonly dir: string;
  readonly at: string;
}

/**
 * What a layer holds: folders on disk placed in the image (`trees`), or its entries as they are
 * (`entries`: files to read, bytes, links, folders; paths relative to the image's `/`).
 */
export type LayerSource =
  { readonly trees: readonly LayerTree[] } | { readonly entries: readonly LayerEntry[] };

export type LayerOptions = LayerSource & {
  /** Seconds since 1970 for every entry's time. */
  readonly sourceDateEpoch: number;
  /** Where the compressed blob is written. */
  readonly destination: string;
  /** A blob of at most this many bytes is kept in memory as well (`bytes`); default 0. */
  readonly keepInMemory?: number;
};

export interface WrittenLayer {
  /** `sha256:` of the compressed bytes: the blob's digest. */
  readonly digest: string;
  /** `sha256:` of the tar: the config's diff_id. */
  readonly diffId: string;
  readonly size: number;
  readonly path: string;
  /** The blob's bytes, in the pieces written, when it fit `keepInMemory`. */
  readonly bytes?: readonly Buffer[];
}

/** One entry of a layer; a folder's name ends with `/`. */
export interface LayerEntry {
  readonly name: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  /** A file to read, with its size, */
  readonly source?: string;
  readonly size?: number;
  /** or its bytes. */
  readonly body?: Buffer;
  readonly linkname?: string;
}

/** Every entry of the layer, parents first, sorted by path. */
export async function layerEntries(source: LayerSource): Promise<LayerEntry[]> {
  const byName = new Map<string, LayerEntry>();
  const add = (entry: LayerEntry): void => {
    const existing = byName.get(entry.name);
    if (existing !== undefined && !(existing.type === "directory" && entry.type === "directory")) {
      throw new InternalError(`two files of one layer have the path ${entry.name}`);
    }
    byName.set(entry.name, entry);
  };
  if ("entries" in source) {
    for (const entry of source.entries) add(entry);
    return [...byName.values()].sort((a, b) => byCodeUnits(a.name, b.name));
  }
  for (const tree of source.trees) {
    const at = tree.at.replace(/^\/+|\/+$/g, "");
    const parts = at === "" ? [] : at.split("/");
    for (let i = 1; i <= parts.length; i += 1) {
      add({ name: `${parts.slice(0, i).join("/")}/`, type: "directory", mode: 0o755 });
    }
    await walk(tree.dir, at, add);
  }
  return [...byName.values()].sort((a, b) => byCodeUnits(a.name, b.name));
}

async function walk(dir: string, at: string, add: (entry: LayerEntry) => void): Promise<void> {
  for (const name of (await readdir(dir)).sort(byCodeUnits)) {
    const full = join(dir, name);
    const path = at === "" ? name : `${at}/${name}`;
    const stats = await lstat(full);
    if (stats.isDirectory()) {
      add({ name: `${path}/`, type: "directory", mode: 0o755 });
      await walk(full, path, add);
    } else if (stats.isSymbolicLink()) {
      add({ name: path, type: "symlink", mode: 0o777, linkname: await readlink(full) });
    } else if (stats.isFile()) {
      const mode = (stats.mode & 0o111) === 0 ? 0o644 : 0o755;
      add({ name: path, type: "file", mode, source: full, size: stats.size });
    }
  }
}

/** Writes the layer's gzip blob and returns its digests; one pass over the files. */
export async function writeLayer(options: LayerOptions): Promise<WrittenLayer> {
  const entries = await layerEntries(options);
  const tar = fixedTar(entries, options.sourceDateEpoch);
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  let size = 0;
  const keep = options.keepInMemory ?? 0;
  let kept: Buffer[] | undefined = keep > 0 ? [] : undefined;
  await pipeline(
    tar,
    tap((chunk) => diff.update(chunk)),
    (source: AsyncIterable<Buffer>) => blockGzip(source, { level: GZIP_LEVEL }),
    tap((chunk) => {
      blob.update(chunk);
      size += chunk.length;
      // Nothing writes to a piece after this: each is made afresh, or is a view of a file read.
      if (size > keep) kept = undefined;
      kept?.push(chunk);
    }),
    createWriteStream(options.destination, { highWaterMark: WRITE_BUFFER }),
  );
  return {
    digest: `sha256:${blob.digest("hex")}`,
    diffId: `sha256:${diff.digest("hex")}`,
    size,
    path: options.destination,
    ...(kept === undefined ? {} : { bytes: kept }),
  };
}

function tap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}
