/**
 * The conda part of a native image as tar entries, one list per package group, with no prefix
 * written to disk: each package's files are described from the package cache (placeholders
 * replaced in memory, everything else read from the cache when its layer is written), with the
 * conda-meta record linking would have written. The layers come out byte for byte as they do
 * from a prefix linked on disk and split by linkPrefixGroups (prefix-groups.ts), which the Docker
 * builder still uses for its build context: a test holds the two to the same digests.
 *
 * The checks a linker makes on disk are made here on the tree being described: no path twice,
 * and nothing placed under a path another package made a file or a symbolic link.
 */
import { posix } from "node:path";
import { describePlan, planLock } from "../../conda/install.js";
import type { InstallResult } from "../../conda/install.js";
import type { PackageCache } from "../../conda/package-cache.js";
import type { InstallEvent } from "../../conda/progress.js";
import type { Lock } from "../../definition/lock.js";
import { ExternalError, InternalError } from "../../errors/index.js";
import type { PackageGroup } from "../../recipe/recipe.js";
import type { LayerEntry } from "./layer-tar.js";

export interface GroupEntriesOptions {
  readonly lock: Lock;
  readonly platform: string;
  readonly groups: readonly PackageGroup[];
  readonly cache: PackageCache;
  /** The prefix in the image (placeholders, shebangs, conda-meta), without the leading `/`. */
  readonly prefix: string;
  /** conda-meta/history of the image, placed in the first group. */
  readonly history: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: InstallEvent) => void;
}

export interface GroupEntries {
  /** Group name → the entries of its layer (files and their folders), unsorted. */
  readonly entries: ReadonlyMap<string, readonly LayerEntry[]>;
  readonly install: InstallResult;
  /** Package file name → the license its info/index.json states (for the SBOM). */
  readonly licenses: ReadonlyMap<string, string>;
}

const FILE_MODE = 0o644;
const FOLDER_MODE = 0o755;

export async function groupEntries(options: GroupEntriesOptions): Promise<GroupEntries> {
  const targetPrefix = `/${options.prefix}`;
  const planned = await planLock({
    lock: options.lock,
    platform: options.platform,
    targetPrefix,
    cache: options.cache,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  // The records say "hardlink", as the linked prefix's do.
  const packages = await describePlan(planned.plan, targetPrefix, "hardlink", options.onEvent);
  const groupOf = new Map<string, string>();
  for (const group of options.groups) {
    for (const pkg of group.packages) groupOf.set(pkg.filename, group.name);
  }
  const tree = new PrefixTree();
  const files = new Map<string, LayerEntry[]>(options.groups.map((g) => [g.name, []]));
  for (const pkg of packages) {
    planned.warnings.push(...pkg.warnings);
    const group = groupOf.get(pkg.pkg.filename);
    const into = group === undefined ? undefined : files.get(group);
    if (into === undefined) {
      throw new InternalError(`package ${pkg.pkg.filename} is in no layer group`);
    }
    const label = pkg.pkg.filename;
    for (const path of pkg.paths) {
      const content = path.content;
      // A package's empty folders are made in the prefix, and no record lists them: no layer
      // has them (as when the prefix is split by its records).
      if (content === undefined || content.kind === "directory") continue;
      tree.add(path.target, content.kind === "symlink" ? "symlink" : "file", label);
      if (content.kind === "symlink") {
        into.push({ name: path.target, type: "symlink", mode: 0o777, linkname: content.linkname });
      } else if (content.kind === "bytes") {
        into.push({
          name: path.target,
          type: "file",
          mode: modeOf(content.mode),
          body: content.bytes,
        });
      } else {
        into.push({
          name: path.target,
          type: "file",
          mode: modeOf(content.mode),
          source: content.source,
          size: content.size,
        });
      }
    }
    for (const script of pkg.entryPoints) {
      tree.add(script.target, "file", label);
      into.push({
        name: script.target,
        type: "file",
        mode: FOLDER_MODE,
        body: Buffer.from(script.text),
      });
    }
    tree.add(pkg.record.path, "file", label);
    into.push({
      name: pkg.record.path,
      type: "file",
      mode: FILE_MODE,
      body: Buffer.from(pkg.record.json),
    });
  }
  const first = options.groups[0];
  if (first !== undefined) {
    files.get(first.name)?.push({
      name: "conda-meta/history",
      type: "file",
      mode: FILE_MODE,
      body: Buffer.from(options.history),
    });
  }
  const entries = new Map<string, LayerEntry[]>();
  for (const [name, list] of files) {
    entries.set(name, withFolders(options.prefix, list));
  }
  const licenses = new Map<string, string>();
  for (const { item } of planned.plan.plans) {
    const license = item.files.index.raw["license"];
    if (typeof license === "string") licenses.set(item.pkg.filename, license);
  }
  return { entries, install: planned.result(targetPrefix), licenses };
}

/** 0755 for anything executable, else 0644: as the layer writer normalises files on disk. */
function modeOf(mode: number): number {
  return (mode & 0o111) === 0 ? FILE_MODE : FOLDER_MODE;
}

/**
 * The entries placed under `prefix`, with every folder above them (the prefix's own, the
 * group's conda-meta): the folders the split prefix had on disk.
 */
function withFolders(prefix: string, entries: readonly LayerEntry[]): LayerEntry[] {
  const folders = new Set<string>(["conda-meta"]);
  const placed: LayerEntry[] = [];
  for (const entry of entries) {
    for (let dir = posix.dirname(entry.name); dir !== "."; dir = posix.dirname(dir)) {
      if (folders.has(dir)) break;
      folders.add(dir);
    }
    placed.push({ ...entry, name: `${prefix}/${entry.name}` });
  }
  for (const dir of folders) {
    placed.push({ name: `${prefix}/${dir}/`, type: "directory", mode: FOLDER_MODE });
  }
  const parts = prefix.split("/");
  for (let i = 1; i <= parts.length; i += 1) {
    placed.push({ name: `${parts.slice(0, i).join("/")}/`, type: "directory", mode: FOLDER_MODE });
  }
  return placed;
}

/** The paths placed so far across every package, for the checks a linker makes on disk. */
class PrefixTree {
  readonly #kinds = new Map<string, "file" | "symlink" | "folder">();

  add(path: string, kind: "file" | "symlink", label: string): void {
    if (this.#kinds.has(path)) {
      throw new ExternalError(`${label}: cannot write ${path}: another package wrote it`);
    }
    for (let dir = posix.dirname(path); dir !== "."; dir = posix.dirname(dir)) {
      const found = this.#kinds.get(dir);
      if (found === "folder") break;
      if (found !== undefined) {
        throw new ExternalError(
          `${label}: ${dir} is ${found === "symlink" ? "a symbolic link" : "a file"} in the prefix, so nothing can be written under it; refused`,
        );
      }
      this.#kinds.set(dir, "folder");
    }
    this.#kinds.set(path, kind);
  }
}
