/**
 * Rules for a Docker build context, applied to a listing the host made (pure: no file access).
 * A context may not reach outside its folder: paths are relative without `..`, and symlinks
 * must point inside. `.dockerignore` follows Docker's own matcher (@balena/dockerignore ports
 * moby's fileutils), including `!` exceptions inside ignored folders.
 */
import { posix } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { ContextFile } from "./definition.js";

/** One entry the host found while walking a context folder (folders themselves are not listed). */
export interface ContextEntry {
  /** POSIX path relative to the context root. */
  readonly path: string;
  /** `other` covers FIFOs, sockets and devices, which a context may not hold. */
  readonly type: "file" | "symlink" | "other";
  readonly size: number;
  /** `sha256:<hex>` of the content, or of the link target text for a symlink. */
  readonly sha256: string;
  readonly mode: number;
  /** The link target as written (symlinks only). */
  readonly linkTarget?: string;
}

export type ContextPathResult =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly message: string };

/**
 * Normalises a path meant to lie inside a context (`./docker/Dockerfile` → `docker/Dockerfile`);
 * refuses absolute paths and paths that leave the context.
 */
export function normalizeContextPath(path: string): ContextPathResult {
  if (path === "") return { ok: false, message: "the path is empty" };
  if (path.includes("\0")) return { ok: false, message: "the path contains a NUL character" };
  if (path.startsWith("/")) return { ok: false, message: "the path is absolute" };
  const normalized = posix.normalize(path).replace(/\/+$/, "");
  if (normalized === ".." || normalized.startsWith("../")) {
    return { ok: false, message: "the path leads outside the build context" };
  }
  if (normalized === ".") return { ok: false, message: "the path names the context folder itself" };
  return { ok: true, path: normalized };
}

/**
 * Where a symlink at `linkPath` (relative to the context) points, relative to the context, or
 * undefined when it points outside: an absolute target names a file of the machine, not of the
 * context, and `..` may climb out of it. A result of `.` is the context root itself.
 */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  if (target === "" || target.startsWith("/")) return undefined;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  // A link path that is itself absolute (never in a valid listing) must not resolve either.
  if (resolved === ".." || resolved.startsWith("../") || resolved.startsWith("/")) return undefined;
  return resolved.replace(/\/+$/, "");
}

/** A predicate telling whether a context path is excluded by the `.dockerignore` text. */
export function dockerignoreMatcher(dockerignore: string | undefined): (path: string) => boolean {
  if (dockerignore === undefined) return () => false;
  // A CommonJS module whose typings declare `export default`: the factory is `.default`.
  const matcher = dockerignoreModule.default().add(dockerignore);
  return (path) => matcher.ignores(path);
}

export interface SelectContextFilesOptions {
  /** Every file and symlink found in the context (ignored ones may be left out). */
  readonly entries: readonly ContextEntry[];
  /** The `.dockerignore` text, when the context has one. */
  readonly dockerignore?: string;
  /** Dockerfile path relative to the context root, as the user wrote it. */
  readonly dockerfilePath: string;
  /** The context folder as the user named it, for messages. */
  readonly contextPath: string;
}

export interface ContextSelection {
  /** The normalised Dockerfile path. */
  readonly dockerfilePath: string;
  /** What the build may COPY: not ignored, sorted by path (code units, like Docker's tar). */
  readonly files: readonly ContextFile[];
}

/**
 * Validates a context listing and applies `.dockerignore`. Every problem (escaping symlink,
 * bad path, special file, missing Dockerfile) is collected, then one ValidationError is thrown.
 */
export function selectContextFiles(options: SelectContextFilesOptions): ContextSelection {
  const { contextPath } = options;
  const problems: Problem[] = [];
  const where = (path: string): Pick<Problem, "file"> => ({
    file: posix.join(contextPath, path),
  });

  const dockerfile = normalizeContextPath(options.dockerfilePath);
  if (!dockerfile.ok) {
    problems.push({
      file: contextPath,
      key: "dockerfile_path",
      message: `the Dockerfile must be inside the build context: ${dockerfile.message}`,
      found: JSON.stringify(options.dockerfilePath),
      allowed: "a path relative to the context folder, without ..",
    });
  } else {
    const entry = options.entries.find((candidate) => candidate.path === dockerfile.path);
    if (entry === undefined) {
      problems.push({
        file: contextPath,
        key: "dockerfile_path",
        message: `no Dockerfile ${JSON.stringify(dockerfile.path)} in the build context`,
      });
    } else if (entry.type !== "file") {
      problems.push({ ...where(entry.path), message: "the Dockerfile must be a regular file" });
    }
  }

  const ignored = dockerignoreMatcher(options.dockerignore);
  const files: ContextFile[] = [];
  const seen = new Set<string>();
  for (const entry of options.entries) {
    const checked = normalizeContextPath(entry.path);
    if (!checked.ok || checked.path !== entry.path) {
      problems.push({
        file: contextPath,
        message: `build context entry ${JSON.stringify(entry.path)} is not a plain relative path${checked.ok ? "" : `: ${checked.message}`}`,
      });
      continue;
    }
    if (ignored(entry.path)) continue;
    if (seen.has(entry.path)) {
      problems.push({ ...where(entry.path), message: "listed twice in the build context" });
      continue;
    }
    seen.add(entry.path);
    if (entry.type === "other") {
      problems.push({
        ...where(entry.path),
        message: "not a regular file, folder or symlink; a build context cannot hold it",
      });
      continue;
    }
    if (entry.type === "symlink") {
      const target = entry.linkTarget ?? "";
      if (resolveLinkTarget(entry.path, target) === undefined) {
        problems.push({
          ...where(entry.path),
          message: "symlink points outside the build context",
          found: JSON.stringify(target),
          allowed: "a relative target inside the context folder",
        });
        continue;
      }
      files.push({
        path: entry.path,
        size: entry.size,
        sha256: entry.sha256,
        mode: entry.mode,
        linkTarget: target,
      });
      continue;
    }
    files.push({ path: entry.path, size: entry.size, sha256: entry.sha256, mode: entry.mode });
  }

  if (problems.length > 0) throw new ValidationError(problems);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { dockerfilePath: dockerfile.ok ? dockerfile.path : options.dockerfilePath, files };
}
