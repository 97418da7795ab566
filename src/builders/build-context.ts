/**
 * Build contexts as tar streams with reproducible bytes: entries sorted by path, owner 0:0,
 * every time set to one fixed instant (SOURCE_DATE_EPOCH, default 0). BuildKit keeps a copied
 * file's time in the layer, so a conda group whose files did not change gives a layer with the
 * same bytes, the same digest, and nothing to push.
 */
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { ValidationError } from "../errors/index.js";
import { fixedTar } from "./fixed-tar.js";
import type { FixedTarEntry } from "./fixed-tar.js";
import { byCodeUnits } from "../definition/canonical-json.js";
import type { ContextFile } from "../definition/definition.js";

export type ContextItem =
  /** A file envforge wrote (Dockerfile, requirements.txt). */
  | { readonly kind: "text"; readonly path: string; readonly content: string }
  /** A folder on disk placed at `path/` with everything under it (a conda group). */
  | { readonly kind: "tree"; readonly path: string; readonly dir: string }
  /**
   * The user's listed build-context files with their bytes by path, already verified against
   * the listing (context-files.ts): a build never reads them from a folder.
   */
  | {
      readonly kind: "listed";
      readonly files: readonly ContextFile[];
      readonly content: ReadonlyMap<string, Uint8Array>;
    };

interface TarItem {
  readonly name: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  readonly text?: string;
  readonly data?: Uint8Array;
  readonly source?: string;
  readonly size?: number;
  readonly linkname?: string;
}

export interface ContextTarOptions {
  readonly items: readonly ContextItem[];
  /** Seconds since 1970 for every entry's time; default 0. */
  readonly sourceDateEpoch?: number;
}

/** The listing the tar will hold, sorted; what tests and logs look at. */
export async function contextEntries(items: readonly ContextItem[]): Promise<TarItem[]> {
  const entries: TarItem[] = [];
  for (const item of items) {
    if (item.kind === "text") {
      entries.push({ name: item.path, type: "file", mode: 0o644, text: item.content });
    } else if (item.kind === "tree") {
      entries.push(...(await treeEntries(item.dir, item.path.replace(/\/+$/, ""))));
    } else {
      entries.push(...listedEntries(item.files, item.content));
    }
  }
  entries.sort((a, b) => byCodeUnits(a.name, b.name));
  for (let i = 1; i < entries.length; i += 1) {
    if (entries[i]?.name === entries[i - 1]?.name) {
      throw ValidationError.single({
        key: "build context",
        message: "two files of the build context have the same path",
        found: entries[i]?.name ?? "",
      });
    }
  }
  return entries;
}

/** A tar stream of the items; errors while reading files end the stream with that error. */
export function contextTar(options: ContextTarOptions): Readable {
  const entries = contextEntries(options.items).then((items) =>
    items.filter(hasContent).map((entry): FixedTarEntry => {
      const body =
        entry.text !== undefined
          ? Buffer.from(entry.text, "utf8")
          : entry.data !== undefined
            ? Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength)
            : undefined;
      return {
        name: entry.name,
        type: entry.type,
        mode: entry.mode,
        ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
        ...(body === undefined ? {} : { body }),
        ...(entry.source === undefined ? {} : { source: entry.source }),
        ...(entry.size === undefined ? {} : { size: entry.size }),
      };
    }),
  );
  return fixedTar(entries, options.sourceDateEpoch ?? 0);
}

/** A file entry with neither bytes nor a source has nothing to write and is left out. */
function hasContent(entry: TarItem): boolean {
  return (
    entry.type !== "file" ||
    entry.text !== undefined ||
    entry.data !== undefined ||
    entry.source !== undefined
  );
}

async function treeEntries(dir: string, at: string): Promise<TarItem[]> {
  const entries: TarItem[] = [{ name: `${at}/`, type: "directory", mode: 0o755 }];
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(dir, relative))).sort(byCodeUnits);
    for (const name of names) {
      const path = relative === "" ? name : `${relative}/${name}`;
      const full = join(dir, path);
      const stats = await lstat(full);
      const tarName = posix.join(at, path);
      const mode = stats.mode & 0o777;
      if (stats.isDirectory()) {
        entries.push({ name: `${tarName}/`, type: "directory", mode });
        await walk(path);
      } else if (stats.isSymbolicLink()) {
        entries.push({
          name: tarName,
          type: "symlink",
          mode: 0o777,
          linkname: await readlink(full),
        });
      } else if (stats.isFile()) {
        entries.push({ name: tarName, type: "file", mode, source: full, size: stats.size });
      }
    }
  };
  await walk("");
  return entries;
}

function listedEntries(
  files: readonly ContextFile[],
  content: ReadonlyMap<string, Uint8Array>,
): TarItem[] {
  const entries: TarItem[] = [];
  for (const file of files) {
    if (file.linkTarget !== undefined) {
      entries.push({ name: file.path, type: "symlink", mode: 0o777, linkname: file.linkTarget });
      continue;
    }
    const data = content.get(file.path);
    if (data === undefined) {
      throw ValidationError.single({
        file: file.path,
        key: "build context",
        message: "the file's verified content was not given to the build",
      });
    }
    entries.push({ name: file.path, type: "file", mode: file.mode & 0o777, data });
  }
  return entries;
}
