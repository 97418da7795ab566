/**
 * Walks a Docker build context folder into the listing definition/build-context.ts judges: every file
 * and symlink with size, mode and sha256, never following a symlink. Files `.dockerignore`
 * excludes are not read (large data folders are the usual reason for a .dockerignore).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import pLimit from "p-limit";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { ContextEntry } from "../definition/build-context.js";
import {
  dockerignoreMatcher,
  normalizeContextPath,
  selectContextFiles,
} from "../definition/build-context.js";
import type { BaseSpec } from "../definition/definition.js";
import { fileError, fileProblem, readOptionalSourceText } from "./file-errors.js";

export type WalkedBuildContext = Omit<Extract<BaseSpec, { kind: "build" }>, "kind">;

export interface WalkBuildContextOptions {
  /** Relative to the context folder; default `Dockerfile`. */
  readonly dockerfilePath?: string;
}

/** Files hashed at once: enough to keep a disk busy, few enough for a shared machine. */
const HASH_CONCURRENCY = 4;

export async function walkBuildContext(
  contextPath: string,
  options: WalkBuildContextOptions = {},
): Promise<WalkedBuildContext> {
  const dockerfilePath = options.dockerfilePath ?? "Dockerfile";
  try {
    // The context folder itself may be reached through a symlink; what is inside may not escape.
    const root = await stat(contextPath);
    if (!root.isDirectory()) {
      throw ValidationError.single({
        file: contextPath,
        message: "a build context must be a folder",
      });
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw fileError(contextPath, "open the build context", error);
  }

  const dockerignore = await readOptionalSourceText(join(contextPath, ".dockerignore"));
  const ignored = dockerignoreMatcher(dockerignore?.text);
  const normalizedDockerfile = normalizeContextPath(dockerfilePath);
  const keep = (path: string): boolean =>
    !ignored(path) || (normalizedDockerfile.ok && normalizedDockerfile.path === path);

  // Like Docker, an ignored folder is not entered unless a `!` rule may bring back a file inside
  // it, or the Dockerfile lies inside it (the Dockerfile is always needed).
  const hasExceptions = (dockerignore?.text ?? "")
    .split(/\r?\n/)
    .some((line) => line.trim().startsWith("!"));
  const skipFolder = (path: string): boolean =>
    !hasExceptions &&
    ignored(path) &&
    !(normalizedDockerfile.ok && normalizedDockerfile.path.startsWith(`${path}/`));

  const problems: Problem[] = [];
  const found: { path: string; absolute: string }[] = [];
  const symlinks: ContextEntry[] = [];
  const others: ContextEntry[] = [];

  const walk = async (relativeDir: string): Promise<void> => {
    const absoluteDir = relativeDir === "" ? contextPath : join(contextPath, relativeDir);
    let names: string[];
    try {
      names = (await readdir(absoluteDir)).sort();
    } catch (error) {
      problems.push(problemFor(absoluteDir, "read the folder", error));
      return;
    }
    for (const name of names) {
      const path = relativeDir === "" ? name : posix.join(relativeDir, name);
      const absolute = join(contextPath, path);
      let info;
      try {
        info = await lstat(absolute);
      } catch (error) {
        problems.push(problemFor(absolute, "inspect the file", error));
        continue;
      }
      if (info.isDirectory()) {
        if (!skipFolder(path)) await walk(path);
      } else if (!keep(path)) continue;
      else if (info.isFile()) found.push({ path, absolute });
      else if (info.isSymbolicLink()) {
        try {
          const target = await readlink(absolute);
          symlinks.push({
            path,
            type: "symlink",
            size: Buffer.byteLength(target),
            sha256: sha256Of(Buffer.from(target)),
            mode: info.mode & 0o777,
            linkTarget: target,
          });
        } catch (error) {
          problems.push(problemFor(absolute, "read the symlink", error));
        }
      } else {
        others.push({ path, type: "other", size: 0, sha256: "", mode: info.mode & 0o777 });
      }
    }
  };
  await walk("");

  const limit = pLimit(HASH_CONCURRENCY);
  const files = await Promise.all(
    found.map(({ path, absolute }) =>
      limit(async (): Promise<ContextEntry | undefined> => {
        try {
          const info = await lstat(absolute);
          return {
            path,
            type: "file",
            size: info.size,
            sha256: await hashFile(absolute),
            mode: info.mode & 0o777,
          };
        } catch (error) {
          problems.push(problemFor(absolute, "read the file", error));
          return undefined;
        }
      }),
    ),
  );

  let selection;
  try {
    selection = selectContextFiles({
      entries: [...files.filter((entry) => entry !== undefined), ...symlinks, ...others],
      ...(dockerignore === undefined ? {} : { dockerignore: dockerignore.text }),
      dockerfilePath,
      contextPath,
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError([...problems, ...error.problems]);
  }
  if (problems.length > 0) throw new ValidationError(problems);

  const dockerfileFile = join(contextPath, selection.dockerfilePath);
  let dockerfile: string;
  try {
    dockerfile = await readFile(dockerfileFile, "utf8");
  } catch (error) {
    throw fileError(dockerfileFile, "read the Dockerfile", error);
  }
  return {
    contextPath,
    dockerfilePath: selection.dockerfilePath,
    dockerfile,
    files: selection.files,
  };
}

function problemFor(path: string, verb: string, error: unknown): Problem {
  const problem = fileProblem(path, verb, error);
  if (problem !== undefined) return problem;
  throw fileError(path, verb, error);
}

function sha256Of(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return `sha256:${hash.digest("hex")}`;
}
