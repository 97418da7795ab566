/**
 * A definition as files in memory: POSIX paths relative to one root → bytes and mode. The disk
 * (collect-definition-files.ts) and an HTTP upload (api/upload) are two sources of it; the
 * loader (load-definition-files.ts) reads only from it, so a registration in-process and one
 * through a server read the same bytes the same way, and no temporary folder is written.
 */
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { DefinitionKind, PipRequirements } from "../definition/definition.js";
import type { EnvforgeFile } from "../definition/envforge-file.js";

export interface MappedFile {
  readonly bytes: Uint8Array;
  /** Unix permission bits (part of a build context's hash). */
  readonly mode: number;
}

/** Path (POSIX, relative, no `..`) → file. Folders are implied by the paths. */
export type FileMap = ReadonlyMap<string, MappedFile>;

/** Kinds a file map can hold (an image reference is not a file). */
export type FileDefinitionKind = Exclude<DefinitionKind, "image">;

export interface DefinitionFiles {
  /** The file (or folder: build context, Azure ML v1 folder) to read; "." for the root folder. */
  readonly entry: string;
  readonly files: FileMap;
  readonly kind?: FileDefinitionKind;
  /** The kind the collector detected, so the loader need not detect it again. In-process only. */
  readonly detectedKind?: FileDefinitionKind;
  /** For a build context: its Dockerfile, relative to the context. */
  readonly dockerfilePath?: string;
  /**
   * The entry as its collector already parsed it (to learn which other files it needs), so the
   * loader does not parse it again. In-process only; never sent over HTTP.
   */
  readonly parsedEntry?: ParsedEntry;
}

export type ParsedEntry =
  | { readonly kind: "envforge" | "azureml-v2"; readonly file: EnvforgeFile }
  | { readonly kind: "pip"; readonly pip: PipRequirements };

export const MAX_FILES = 10_000;
export const MAX_PATH_LENGTH = 1024;

const PATH_ALLOWED =
  'a relative POSIX path inside the upload, e.g. "context/Dockerfile" (no "..", no leading "/", no "\\", no control characters)';

/** Why a path is not acceptable in a file map, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "holds a NUL or control character";
  if (path.includes("\\")) return 'holds a "\\"';
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "is absolute";
  const segments = path.split("/");
  if (segments.includes("..")) return 'climbs out with ".."';
  if (segments.some((segment) => segment === "" || segment === ".")) {
    return 'is not normalised (empty or "." segment)';
  }
  return undefined;
}

/**
 * Checks the map's shape before anything is read from it: plain relative paths, no file that
 * doubles as a folder, an entry that exists, a well-formed Dockerfile path.
 */
export function checkDefinitionFiles(input: DefinitionFiles): void {
  const problems: Problem[] = [];
  const paths = [...input.files.keys()].sort();
  if (paths.length === 0) {
    problems.push({
      key: "files",
      message: "no files were uploaded",
      allowed: "at least the entry",
    });
  }
  if (paths.length > MAX_FILES) {
    problems.push({
      key: "files",
      message: "too many files",
      found: String(paths.length),
      allowed: `at most ${MAX_FILES}`,
    });
  }
  for (const path of paths) {
    const reason = pathProblem(path);
    if (reason !== undefined) {
      problems.push({
        key: "files",
        message: `file name ${reason}`,
        found: JSON.stringify(path),
        allowed: PATH_ALLOWED,
      });
    }
  }
  const set = new Set(paths);
  for (const path of paths) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join("/");
      if (set.has(folder)) {
        problems.push({
          key: "files",
          message: "a path is both a file and a folder",
          found: JSON.stringify(folder),
        });
      }
    }
  }
  const entryProblem = input.entry === "." ? undefined : pathProblem(input.entry);
  if (entryProblem !== undefined) {
    problems.push({
      key: "entry",
      message: `the entry ${entryProblem}`,
      found: JSON.stringify(input.entry),
      allowed: PATH_ALLOWED,
    });
  } else if (!set.has(input.entry) && !isFolderOf(paths, input.entry)) {
    problems.push({
      key: "entry",
      message: "the entry is not among the uploaded files",
      found: JSON.stringify(input.entry),
      allowed: paths.length > 20 ? "one of the uploaded paths" : paths.join(", "),
    });
  }
  if (input.dockerfilePath !== undefined) {
    const reason = pathProblem(input.dockerfilePath);
    if (reason !== undefined) {
      problems.push({
        key: "dockerfilePath",
        message: `the Dockerfile path ${reason}`,
        found: JSON.stringify(input.dockerfilePath),
        allowed: PATH_ALLOWED,
      });
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

/** True when `folder` is "." or holds at least one of the paths. */
export function isFolderOf(paths: readonly string[], folder: string): boolean {
  return folder === "." || paths.some((path) => path.startsWith(`${folder}/`));
}
