/**
 * The conda prefix of an image, linked by envforge's installer for the image's path and split
 * into one folder per package group (the recipe's layers): each package's files, as its
 * conda-meta record lists them, and the record itself go to its group's folder. So a group's
 * folder holds exactly its packages' bytes, whatever else the lock holds.
 */
import type { InstallEvent } from "../conda/progress.js";
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import pLimit from "p-limit";
import * as z from "zod";
import { installLock } from "../conda/install.js";
import type { InstallResult } from "../conda/install.js";
import { prefixRecordFileName } from "../conda/conda-meta.js";
import type { PackageCache } from "../conda/package-cache.js";
import { InternalError } from "../errors/index.js";
import type { PackageGroup } from "../recipe/recipe.js";
import { IMAGE_CONDA_PREFIX } from "../definition/image-hash.js";
import type { Lock } from "../definition/lock.js";

export interface LinkGroupsOptions {
  readonly lock: Lock;
  readonly platform: string;
  readonly groups: readonly PackageGroup[];
  readonly cache: PackageCache;
  /** An empty folder: the prefix is linked in `<workDir>/prefix`, groups go to `<workDir>/groups`. */
  readonly workDir: string;
  /** A build's cancel or timeout: stops the package downloads. */
  readonly signal?: AbortSignal;
  /** The installer's events (downloads, extraction, linking), for progress displays. */
  readonly onEvent?: (event: InstallEvent) => void;
}

export interface LinkedGroups {
  /** Group name → folder holding its part of the prefix (paths relative to the prefix). */
  readonly folders: ReadonlyMap<string, string>;
  readonly install: InstallResult;
}

/**
 * conda-meta/history lists every package, so it would change with any package and take its
 * group's layer with it. The image keeps a fixed one (conda needs the file to see an
 * environment); the package records in conda-meta/ say what is installed.
 */
export const IMAGE_HISTORY =
  "==> 1970-01-01 00:00:00 <==\n# envforge: linked from a lock; conda-meta/*.json lists the packages\n";

const PrefixRecordFiles = z.looseObject({ files: z.array(z.string()) });

/** Renames (and folders made) at once when the prefix is split into its groups. */
const PARALLEL_MOVES = 32;

export async function linkPrefixGroups(options: LinkGroupsOptions): Promise<LinkedGroups> {
  const prefix = join(options.workDir, "prefix");
  const install = await installLock({
    lock: options.lock,
    platform: options.platform,
    prefixDir: prefix,
    targetPrefix: IMAGE_CONDA_PREFIX,
    cache: options.cache,
    // The prefix is only read (into the context tar) and then removed: hard links from the
    // package cache save copying every file; files with placeholders are still written anew.
    linkMode: "hardlink",
    now: () => new Date(0),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  const folders = new Map<string, string>();
  // Every file goes to its group's folder: the records are read together, each folder is made
  // once, and the renames run side by side (one after the other, a file's trip through the
  // thread pool is most of the link of a large environment).
  const moves = await Promise.all(
    options.groups.flatMap((group) => {
      const folder = join(options.workDir, "groups", group.name);
      folders.set(group.name, folder);
      return group.packages.map(async (pkg) => {
        const recordName = join("conda-meta", prefixRecordFileName(pkg));
        const record = PrefixRecordFiles.parse(
          JSON.parse(await readFile(join(prefix, recordName), "utf8")),
        );
        return [...record.files, recordName].map((file) => ({
          from: join(prefix, file),
          to: join(folder, file),
        }));
      });
    }),
  ).then((lists) => lists.flat());
  const limit = pLimit(PARALLEL_MOVES);
  const folderDirs = [...folders.values()].map((folder) => join(folder, "conda-meta"));
  const dirs = [...new Set([...folderDirs, ...moves.map((move) => dirname(move.to))])];
  await Promise.all(dirs.map((dir) => limit(() => mkdir(dir, { recursive: true }))));
  await Promise.all(moves.map((move) => limit(() => rename(move.from, move.to))));
  const first = options.groups[0];
  if (first !== undefined) {
    await writeFile(
      join(options.workDir, "groups", first.name, "conda-meta/history"),
      IMAGE_HISTORY,
    );
  }
  await rm(join(prefix, "conda-meta/history"), { force: true });
  const left = await filesUnder(prefix);
  if (left.length > 0) {
    // Every path the installer writes is in some package's record.
    throw new InternalError(
      `the linked prefix has files no package record lists: ${left.slice(0, 5).join(", ")}`,
    );
  }
  return { folders, install };
}

async function filesUnder(root: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const stats = await lstat(join(root, path));
    if (stats.isDirectory()) found.push(...(await filesUnder(root, path)));
    else found.push(path);
  }
  return found;
}
