/**
 * Puts one extracted package's files into the folder being written, each at the target path the
 * installer planned for it (noarch python relocation and clobbers already applied): files copied
 * (or hard-linked), symbolic links recreated, placeholders replaced by the target prefix. Never
 * writes outside the folder: paths are checked, no existing entry is overwritten, and nothing
 * is written through a symbolic link.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { join, posix } from "node:path";
import pLimit from "p-limit";
import { EnvforgeError, ExternalError } from "../errors/index.js";
import type { FileMode, PackagePath, PathType } from "./package-files.js";
import { replaceBinaryPlaceholder, replaceTextPlaceholder } from "./prefix-replace.js";

export type LinkMode = "copy" | "hardlink";

export interface PlannedPath {
  readonly entry: PackagePath;
  /** Where it goes, relative to the prefix. */
  readonly target: string;
}

/** One entry of conda-meta `paths_data.paths`. */
export interface LinkedPath {
  readonly path: string;
  /** conda's names; entry points are `unix_python_entry_point`, as conda records them. */
  readonly pathType: PathType | "unix_python_entry_point";
  readonly sha256?: string;
  readonly sha256InPrefix?: string;
  readonly size?: number;
  readonly prefixPlaceholder?: string;
  readonly fileMode?: FileMode;
  readonly noLink?: boolean;
}

export interface LinkPackageOptions {
  /** The extracted package. */
  readonly sourceDir: string;
  /** The folder being written (a staging folder that becomes the prefix). */
  readonly root: string;
  /** The prefix path written into files: where the environment will live when used. */
  readonly targetPrefix: string;
  readonly paths: readonly PlannedPath[];
  /** `zlib-1.2.11-h7b6447c_3`, for messages. */
  readonly label: string;
  readonly linkMode?: LinkMode;
  /** Folders under `root` known to be real directories; shared across packages of one install. */
  readonly checkedDirs?: Set<string>;
  /** Whether copies can be reflinks; learned on the first copy, shared like checkedDirs. */
  readonly reflink?: { supported?: boolean };
}

export interface LinkPackageResult {
  readonly linked: readonly LinkedPath[];
  readonly warnings: readonly string[];
}

/** A relative, `/`-separated path that stays inside its root, or undefined. */
export function safeRelativePath(path: string): string | undefined {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0"))
    return undefined;
  const normalized = posix.normalize(path);
  if (normalized === "." || normalized === ".." || normalized.startsWith("../")) return undefined;
  return normalized.replace(/\/$/, "");
}

export async function linkPackage(options: LinkPackageOptions): Promise<LinkPackageResult> {
  const checkedDirs = options.checkedDirs ?? new Set<string>();
  const jobs = plannedJobs(options);
  // Folders first and in order, so the symbolic-link check sees every folder before files land.
  for (const job of jobs) {
    await ensureRealDirs(options.root, posix.dirname(job.target), checkedDirs, options.label);
  }
  const described = await eachPath(options, jobs, async (job) => {
    const path = await describeOne(options, job);
    if (path.content !== undefined) {
      await writeContent(path.content, join(options.root, job.target), options);
    }
    return path;
  });
  return resultOf(described);
}

/**
 * What linking the package would write, read from the extracted package and written nowhere:
 * each planned path's content (a file to read, bytes with the placeholders replaced, a symbolic
 * link, a folder) with its conda-meta entry. The same checks as linkPackage refuse paths that
 * leave the prefix; the caller places the contents (an image layer streams them).
 */
export async function describePackage(
  options: Pick<LinkPackageOptions, "sourceDir" | "targetPrefix" | "paths" | "label">,
): Promise<LinkPackageResult & { readonly paths: readonly DescribedPath[] }> {
  const paths = await eachPath(options, plannedJobs(options), (job) => describeOne(options, job));
  return { ...resultOf(paths), paths };
}

/** What one planned path holds; undefined content: nothing to write (a link the archive lacks). */
export interface DescribedPath {
  readonly target: string;
  readonly content?: PathContent;
  readonly linked?: LinkedPath;
  readonly warning?: string;
}

export type PathContent =
  | { readonly kind: "directory" }
  | { readonly kind: "symlink"; readonly linkname: string }
  /** A file whose placeholders were replaced; `mode` is the package's. */
  | { readonly kind: "bytes"; readonly bytes: Buffer; readonly mode: number }
  /** A file as the package has it, at `source`; `copy` when it must not be hard-linked. */
  | {
      readonly kind: "file";
      readonly source: string;
      readonly mode: number;
      readonly size: number;
      readonly copy: boolean;
    };

interface Job {
  readonly entry: PackagePath;
  readonly source: string;
  readonly target: string;
}

/** The package's paths with safe source and target paths, each target once. */
function plannedJobs(options: Pick<LinkPackageOptions, "paths" | "label">): Job[] {
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const planned of options.paths) {
    const source = safeRelativePath(planned.entry.path);
    const target = safeRelativePath(planned.target);
    if (source === undefined || target === undefined) {
      throw new ExternalError(
        `${options.label}: path ${JSON.stringify(source === undefined ? planned.entry.path : planned.target)} escapes the prefix; refused`,
      );
    }
    if (seen.has(target)) continue;
    seen.add(target);
    jobs.push({ entry: planned.entry, source, target });
  }
  return jobs;
}

/** `work` on every job, PARALLEL_FILES at once; results in the package's order. */
function eachPath(
  options: Pick<LinkPackageOptions, "label">,
  jobs: readonly Job[],
  work: (job: Job) => Promise<DescribedPath>,
): Promise<DescribedPath[]> {
  // Every target is distinct, so the paths can be handled side by side.
  const limit = pLimit(PARALLEL_FILES);
  return Promise.all(
    jobs.map((job) =>
      limit(() =>
        work(job).catch((error: unknown) => {
          if (error instanceof EnvforgeError) throw error;
          throw new ExternalError(
            `${options.label}: cannot write ${job.target}: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
        }),
      ),
    ),
  );
}

function resultOf(paths: readonly DescribedPath[]): LinkPackageResult {
  return {
    linked: paths.flatMap((path) => (path.linked === undefined ? [] : [path.linked])),
    warnings: paths.flatMap((path) => (path.warning === undefined ? [] : [path.warning])),
  };
}

const PARALLEL_FILES = 16;

async function describeOne(
  options: Pick<LinkPackageOptions, "sourceDir" | "targetPrefix" | "label">,
  job: Job,
): Promise<DescribedPath> {
  const { entry, target } = job;
  const sourcePath = join(options.sourceDir, job.source);
  const base = {
    path: target,
    pathType: entry.pathType,
    ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }),
    ...(entry.size === undefined ? {} : { size: entry.size }),
    ...(entry.noLink === true ? { noLink: true } : {}),
  };
  if (entry.pathType === "directory") {
    return { target, content: { kind: "directory" }, linked: base };
  }
  const stats = await lstat(sourcePath).catch(() => undefined);
  if (stats === undefined) {
    // rattler skips a missing link too: the archive could not hold it.
    if (entry.pathType === "softlink") {
      return {
        target,
        warning: `${options.label}: ${entry.path} is not in the archive; symbolic link skipped`,
      };
    }
    throw new ExternalError(
      `${options.label}: ${entry.path} is listed in info/paths.json but not in the archive`,
    );
  }
  if (stats.isSymbolicLink()) {
    const linkTarget = await readlink(sourcePath);
    const resolved = posix.normalize(posix.join(posix.dirname(target), linkTarget));
    const outside = linkTarget.startsWith("/") || resolved === ".." || resolved.startsWith("../");
    const linked = { ...base, pathType: "softlink" as const };
    const content = { kind: "symlink", linkname: linkTarget } as const;
    if (!outside) return { target, content, linked };
    // Legal in conda packages (rarely), and harmless here: nothing is ever written through it.
    return {
      target,
      content,
      linked,
      warning: `${options.label}: ${target} links outside the prefix, to ${linkTarget}`,
    };
  }
  const mode = stats.mode & 0o777;
  if (entry.prefixPlaceholder !== undefined) {
    const data = await readFile(sourcePath);
    const replaced =
      entry.fileMode === "binary"
        ? replaceBinaryPlaceholder(data, entry.prefixPlaceholder, options.targetPrefix, {
            label: `${options.label}: ${entry.path}`,
          })
        : replaceTextPlaceholder(data, entry.prefixPlaceholder, options.targetPrefix);
    return {
      target,
      content: { kind: "bytes", bytes: replaced, mode },
      linked: {
        ...base,
        pathType: "hardlink",
        prefixPlaceholder: entry.prefixPlaceholder,
        fileMode: entry.fileMode ?? "text",
        sha256InPrefix: createHash("sha256").update(replaced).digest("hex"),
        size: replaced.length,
      },
    };
  }
  const content = {
    kind: "file",
    source: sourcePath,
    mode,
    size: stats.size,
    copy: entry.noLink === true,
  } as const;
  if (entry.pathType === "softlink") {
    // paths.json says link, the archive holds a plain file (an old packaging quirk): conda copies
    // the file, and the record then describes the file that is there.
    const bytes = await readFile(sourcePath);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    return {
      target,
      content,
      linked: { ...base, pathType: "hardlink", sha256, size: bytes.length },
    };
  }
  return { target, content, linked: { ...base, pathType: "hardlink" } };
}

/** Writes one path's content at `destination` (which must not exist). */
async function writeContent(
  content: PathContent,
  destination: string,
  options: Pick<LinkPackageOptions, "linkMode" | "reflink">,
): Promise<void> {
  switch (content.kind) {
    case "directory":
      await mkdir(destination, { recursive: true });
      return;
    case "symlink":
      await symlink(content.linkname, destination);
      return;
    case "bytes":
      await writeFile(destination, content.bytes, { flag: "wx" });
      // The package's mode, whatever this process's umask.
      await chmod(destination, content.mode);
      return;
    case "file":
      if (options.linkMode === "hardlink" && !content.copy) {
        await link(content.source, destination);
      } else {
        await copyInto(content.source, destination, options.reflink ?? {});
      }
  }
}

/**
 * A reflink where the file system has them (btrfs, XFS), else a plain copy. Asking libuv for
 * "reflink, else copy" on every file costs 4x on ext4, so the answer is learned once.
 */
async function copyInto(
  source: string,
  destination: string,
  reflink: { supported?: boolean },
): Promise<void> {
  if (reflink.supported !== false) {
    try {
      await copyFile(
        source,
        destination,
        constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE,
      );
      reflink.supported = true;
      return;
    } catch (error) {
      if (reflink.supported === true || !isUnsupported(error)) throw error;
      reflink.supported = false;
      await rm(destination, { force: true });
    }
  }
  await copyFile(source, destination, constants.COPYFILE_EXCL);
}

function isUnsupported(error: unknown): boolean {
  const code =
    typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return ["ENOTSUP", "EOPNOTSUPP", "EXDEV", "EINVAL", "ENOSYS", "ENOTTY"].includes(String(code));
}

/**
 * Creates the folders of `dir` under `root`, refusing when one of them is a symbolic link: a
 * package must not write through a link another package made (e.g. `lib -> /etc`).
 */
async function ensureRealDirs(
  root: string,
  dir: string,
  checked: Set<string>,
  label: string,
): Promise<void> {
  if (dir === "." || dir === "" || checked.has(dir)) return;
  await ensureRealDirs(root, posix.dirname(dir), checked, label);
  const path = join(root, dir);
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) {
    await mkdir(path);
  } else if (!stats.isDirectory()) {
    throw new ExternalError(
      `${label}: ${dir} is ${stats.isSymbolicLink() ? "a symbolic link" : "a file"} in the prefix, so nothing can be written under it; refused`,
    );
  }
  checked.add(dir);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
