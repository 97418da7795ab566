/**
 * An uploaded definition → Definition, read by the very loader the CLI uses on local files
 * (host/load-definition.ts): the checked files are written to a private temporary folder, read
 * there, and the folder is removed whatever happens. Paths in the result and in error messages
 * are given back relative to the upload (or under `displayRoot`), never as the temporary folder.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, sep } from "node:path";
import type { Problem } from "../../errors/index.js";
import { EnvforgeError, ExternalError, ValidationError } from "../../errors/index.js";
import { loadDefinition } from "../../host/load-definition.js";
import { readContextContent } from "../../host/read-context-content.js";
import type { Definition, ParseSettings } from "../../definition/definition.js";
import { checkUpload } from "./check-upload.js";
import type { DefinitionUpload } from "./upload-schema.js";

export interface LoadedUpload {
  readonly definition: Definition;
  /** The definition's own text files (path → text), for display; build context content excluded. */
  readonly sourceFiles: Readonly<Record<string, string>>;
  /** Accepted-but-ignored content the loader reported. */
  readonly warnings: readonly Problem[];
  /** A build context's file bytes by sha256, to be stored with the version. */
  readonly contextContent: ReadonlyMap<string, Uint8Array>;
}

export interface LoadUploadOptions {
  readonly settings: ParseSettings;
  /** Where paths are shown as being (the CLI's own folder); default: relative to the upload. */
  readonly displayRoot?: string;
  /** Parent of the temporary folder (default: the OS temporary folder). */
  readonly temporaryParent?: string;
}

export async function loadUpload(
  upload: DefinitionUpload,
  options: LoadUploadOptions,
): Promise<LoadedUpload> {
  checkUpload(upload);
  const root = await mkdtemp(join(options.temporaryParent ?? tmpdir(), "envforge-upload-"));
  // Messages name files where the user has them; stored paths are relative to the upload, so
  // a registration through a server and one in-process store the same definition.
  const show = (path: string): string => displayPath(root, path, options.displayRoot);
  const stored = (path: string): string => displayPath(root, path, undefined);
  try {
    await writeFiles(root, upload);
    const warnings: Problem[] = [];
    const definition = await loadDefinition(join(root, ...upload.entry.split("/")), {
      settings: options.settings,
      ...(upload.kind === undefined ? {} : { kind: upload.kind }),
      ...(upload.dockerfilePath === undefined ? {} : { dockerfilePath: upload.dockerfilePath }),
      onWarning: (warning) => warnings.push(relocateProblem(warning, show)),
    });
    // Read before the folder goes: the uploaded bytes are what the workspace keeps and builds.
    const contextContent = await readContextContent(definition);
    const relocated = relocateDefinition(definition, stored);
    return {
      definition: relocated,
      sourceFiles: sourceFilesOf(upload, relocated),
      warnings,
      contextContent,
    };
  } catch (error) {
    throw relocateError(error, root, show);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function writeFiles(root: string, upload: DefinitionUpload): Promise<void> {
  const folders = new Set<string>();
  for (const path of Object.keys(upload.files)) folders.add(dirname(join(root, path)));
  for (const folder of [...folders].sort()) await mkdir(folder, { recursive: true });
  for (const [path, content] of Object.entries(upload.files)) {
    const target = join(root, ...path.split("/"));
    if (typeof content === "string") {
      // `wx`: the paths were checked to be distinct and plain, so nothing may exist there yet.
      await writeFile(target, content, { flag: "wx", mode: 0o644 });
    } else {
      await writeFile(target, Buffer.from(content.base64, "base64"), { flag: "wx" });
      // Set explicitly: the process umask must not change what the build context hashes.
      await chmod(target, content.mode ?? 0o644);
    }
  }
}

function displayPath(root: string, path: string, displayRoot: string | undefined): string {
  const inside = relative(root, path);
  if (inside.startsWith("..") || inside === path) return path;
  const posixPath = inside === "" ? "." : inside.split(sep).join("/");
  return displayRoot === undefined ? posixPath : posix.join(displayRoot, posixPath);
}

function relocateProblem(problem: Problem, show: (path: string) => string): Problem {
  return problem.file === undefined ? problem : { ...problem, file: show(problem.file) };
}

function relocateDefinition(definition: Definition, show: (path: string) => string): Definition {
  const { conda, base } = definition;
  return {
    ...definition,
    ...(conda?.source === undefined
      ? {}
      : { conda: { ...conda, source: { ...conda.source, path: show(conda.source.path) } } }),
    ...(base.kind === "build" ? { base: { ...base, contextPath: show(base.contextPath) } } : {}),
  };
}

function relocateError(error: unknown, root: string, show: (path: string) => string): unknown {
  if (error instanceof ValidationError) {
    return new ValidationError(
      error.problems.map((problem) => {
        const moved = relocateProblem(problem, show);
        return { ...moved, message: scrub(moved.message, root, show) };
      }),
      { cause: error },
    );
  }
  if (error instanceof EnvforgeError && error.message.includes(root)) {
    return new ExternalError(scrub(error.message, root, show), { cause: error });
  }
  return error;
}

function scrub(text: string, root: string, show: (path: string) => string): string {
  return text.split(root).join(show(root));
}

/** Text files of the definition itself; a build context's other files are listed in it, not kept. */
function sourceFilesOf(upload: DefinitionUpload, definition: Definition): Record<string, string> {
  const { base } = definition;
  const context = base.kind === "build" ? base.contextPath : undefined;
  const keptInContext =
    base.kind === "build" && context !== undefined
      ? new Set([posix.join(context, base.dockerfilePath), posix.join(context, ".dockerignore")])
      : new Set<string>();
  const out: Record<string, string> = {};
  for (const path of Object.keys(upload.files).sort()) {
    const content = upload.files[path];
    if (typeof content !== "string") continue;
    const inContext = context !== undefined && (context === "." || path.startsWith(`${context}/`));
    if (inContext && !keptInContext.has(path)) continue;
    out[path] = content;
  }
  return out;
}
