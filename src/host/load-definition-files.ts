/**
 * Reads a definition from a file map (definition-files.ts): the entry, what it refers to
 * (conda_file, `-r`/`-c` includes, a build context) and nothing else, each file parsed once.
 * Paths in the result and in every message are the map's own (relative to its root); a surface
 * that knows where the root lies on the user's disk shows them from there.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import {
  definitionFromBuildContext,
  definitionFromConda,
  definitionFromDockerfile,
  definitionFromPip,
} from "../definition/assemble-definition.js";
import {
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_DOCKERFILE,
  definitionFromAzureMlV1,
} from "../definition/azureml-v1.js";
import type { ContextEntry } from "../definition/build-context.js";
import { selectContextFiles } from "../definition/build-context.js";
import { parseCondaEnvironment } from "../definition/conda-environment.js";
import type {
  CondaEnvironment,
  Definition,
  ParseSettings,
  PipRequirements,
  SourceText,
} from "../definition/definition.js";
import {
  definitionFromEnvforgeFile,
  envforgeFileNeeds,
  parseEnvforgeFile,
} from "../definition/envforge-file.js";
import { parsePipRequirements } from "../definition/pip-requirements.js";
import { parseYamlSource } from "../definition/yaml-source.js";
import type { DefinitionFiles, FileDefinitionKind, FileMap } from "./definition-files.js";
import { checkDefinitionFiles, isFolderOf } from "./definition-files.js";
import { detectFileKind, parseAsDetected } from "./detect-kind.js";
import type { WalkedBuildContext } from "./walk-build-context.js";

export interface LoadedDefinition {
  readonly definition: Definition;
  /** The definition's own text files (path → text), for display; build context content excluded. */
  readonly sourceFiles: Readonly<Record<string, string>>;
  /** Accepted-but-ignored content the parsers reported. */
  readonly warnings: readonly Problem[];
  /** A build context's file bytes by sha256, to be stored with the version. */
  readonly contextContent: ReadonlyMap<string, Uint8Array>;
}

export interface LoadDefinitionFilesOptions {
  readonly settings: ParseSettings;
  /** Called once for every file a definition parser reads (tests count parses with it). */
  readonly onParse?: (path: string) => void;
}

const KINDS_HINT =
  "a conda environment.yml, a pip requirements.txt, envforge.yaml or an Azure ML v2 environment YAML, a Dockerfile, an Azure ML v1 folder or a build context folder";

const OUTSIDE_ALLOWED =
  "a relative path to an uploaded file, without climbing above the upload's root";

export function loadDefinitionFiles(
  input: DefinitionFiles,
  options: LoadDefinitionFilesOptions,
): LoadedDefinition {
  checkDefinitionFiles(input);
  const { files } = input;
  const { settings } = options;
  const parsing = (path: string): void => options.onParse?.(path);
  const warnings: Problem[] = [];
  const text = (path: string): SourceText | undefined => {
    const file = files.get(path);
    return file === undefined ? undefined : { path, text: decode(file.bytes) };
  };
  const finish = (definition: Definition): LoadedDefinition => ({
    definition,
    sourceFiles: sourceFilesOf(files, definition),
    warnings,
    contextContent: contextContentOf(files, definition),
  });

  const entry = input.entry;
  if (!files.has(entry)) {
    // A folder: an Azure ML v1 folder, else a build context.
    const v1File = posix.join(entry, AZUREML_V1_DEFINITION_FILE);
    const kind = input.kind ?? (files.has(v1File) ? "azureml-v1" : "build-context");
    if (kind === "azureml-v1") return finish(loadV1(entry));
    if (kind !== "build-context") {
      throw ValidationError.single({
        file: entry,
        message: `a folder cannot be read as a ${kind} definition`,
        allowed: "an Azure ML v1 folder or a build context folder",
      });
    }
    const context = contextOf(files, entry, input.dockerfilePath ?? "Dockerfile");
    parsing(posix.join(entry, context.dockerfilePath));
    return finish(definitionFromBuildContext({ context, origin: entry }, settings));
  }

  const source = text(entry) ?? { path: entry, text: "" };
  const kind: FileDefinitionKind | "image" | undefined =
    input.kind ?? input.parsedEntry?.kind ?? input.detectedKind ?? detectFileKind(source);
  const folder = posix.dirname(entry);
  // A kind told from the file's keys is named, with why, in a message about those keys.
  const detected = <T>(parse: () => T): T =>
    input.kind === undefined && kind !== undefined ? parseAsDetected(source, kind, parse) : parse();
  switch (kind) {
    case undefined:
      // A YAML file that does not parse is best answered with where it does not parse.
      if (/\.ya?ml$/i.test(entry)) parseYamlSource(source);
      throw ValidationError.single({
        file: entry,
        message: "cannot tell what kind of definition this file is",
        allowed: KINDS_HINT,
      });
    case "image":
      throw ValidationError.single({
        file: entry,
        message: "an image is not read from a file; give the image reference itself",
      });
    case "azureml-v1":
      return finish(loadV1(folder));
    case "build-context": {
      // A file given as a build context is its Dockerfile; the context is its folder.
      const context = contextOf(files, folder, input.dockerfilePath ?? posix.basename(entry));
      parsing(posix.join(folder, context.dockerfilePath));
      return finish(definitionFromBuildContext({ context, origin: folder }, settings));
    }
    case "conda":
      parsing(entry);
      return finish(
        definitionFromConda(
          { conda: detected(() => parseCondaEnvironment(source)), origin: entry },
          settings,
        ),
      );
    case "pip": {
      const memo = input.parsedEntry?.kind === "pip" ? input.parsedEntry.pip : undefined;
      const pip = memo ?? parsePip(source);
      warnings.push(...(pip.warnings ?? []));
      return finish(definitionFromPip({ pip, origin: entry }, settings));
    }
    case "dockerfile":
      parsing(entry);
      return finish(definitionFromDockerfile({ dockerfile: source.text, origin: entry }, settings));
    case "azureml-v2":
    case "envforge": {
      const memo =
        input.parsedEntry?.kind === "envforge" || input.parsedEntry?.kind === "azureml-v2"
          ? input.parsedEntry.file
          : undefined;
      if (memo === undefined) parsing(entry);
      const file =
        memo ?? detected(() => parseEnvforgeFile(source, input.kind === undefined ? {} : { kind }));
      warnings.push(...file.warnings);
      const needs = envforgeFileNeeds(file);
      const problems: Problem[] = [];
      const refuse = (key: string, path: string): void => {
        problems.push({
          file: entry,
          key,
          message: "refers to a file outside the upload",
          found: JSON.stringify(path),
          allowed: OUTSIDE_ALLOWED,
        });
      };
      const condaPath = needs.condaFile === undefined ? undefined : inside(folder, needs.condaFile);
      if (needs.condaFile !== undefined && condaPath === undefined) {
        refuse("conda_file", needs.condaFile);
      }
      const contextPath =
        needs.buildContext === undefined ? undefined : inside(folder, needs.buildContext.path);
      if (needs.buildContext !== undefined && contextPath === undefined) {
        refuse("build.path", needs.buildContext.path);
      }
      if (problems.length > 0) throw new ValidationError(problems);
      const conda = condaPath === undefined ? undefined : readConda(entry, condaPath);
      const context =
        contextPath === undefined || needs.buildContext === undefined
          ? undefined
          : contextOf(files, contextPath, needs.buildContext.dockerfilePath);
      return finish(
        definitionFromEnvforgeFile(
          file,
          {
            ...(conda === undefined ? {} : { conda }),
            ...(context === undefined ? {} : { context }),
          },
          settings,
        ),
      );
    }
  }

  function loadV1(dir: string): Definition {
    const at = (name: string): SourceText | undefined => text(posix.join(dir, name));
    const environment = at(AZUREML_V1_DEFINITION_FILE);
    if (environment === undefined) {
      throw ValidationError.single({
        file: dir,
        message: `not an Azure ML v1 environment folder: it has no ${AZUREML_V1_DEFINITION_FILE}`,
      });
    }
    const condaDependencies = at(AZUREML_V1_CONDA_FILE);
    const baseDockerfile = at(AZUREML_V1_DOCKERFILE);
    for (const read of [environment, condaDependencies, baseDockerfile]) {
      if (read !== undefined) parsing(read.path);
    }
    const loaded = definitionFromAzureMlV1(
      {
        environment,
        ...(condaDependencies === undefined ? {} : { condaDependencies }),
        ...(baseDockerfile === undefined ? {} : { baseDockerfile }),
      },
      settings,
    );
    warnings.push(...loaded.warnings);
    return loaded.definition;
  }

  function parsePip(source: SourceText): PipRequirements {
    const problems: Problem[] = [];
    parsing(source.path);
    const read = (): PipRequirements =>
      parsePipRequirements(source, {
        readInclude: (path) => {
          const normal = inside(".", path);
          if (normal === undefined) {
            problems.push({
              file: source.path,
              key: "-r/-c",
              message: "refers to a file outside the upload",
              found: JSON.stringify(path),
              allowed: OUTSIDE_ALLOWED,
            });
            return undefined;
          }
          const included = text(normal);
          if (included !== undefined) parsing(normal);
          return included === undefined ? undefined : { path, text: included.text };
        },
      });
    let pip: PipRequirements;
    try {
      pip = read();
    } catch (error) {
      // An include outside the upload is the first thing to fix; the parser's "cannot read" follows from it.
      if (problems.length > 0 && error instanceof ValidationError)
        throw new ValidationError(problems);
      throw error;
    }
    if (problems.length > 0) throw new ValidationError(problems);
    return pip;
  }

  function readConda(definitionPath: string, condaPath: string): CondaEnvironment {
    const source = text(condaPath);
    if (source === undefined) {
      throw ValidationError.single({
        file: definitionPath,
        key: "conda_file",
        message: isFolderOf([...files.keys()], condaPath)
          ? "cannot read the file: is a folder, not a file"
          : "cannot read the file: no such file or folder",
        found: JSON.stringify(condaPath),
      });
    }
    parsing(condaPath);
    return parseCondaEnvironment(source);
  }
}

/** `path` joined to `folder` and normalised, or undefined when it leaves the map's root. */
function inside(folder: string, path: string): string | undefined {
  if (posix.isAbsolute(path)) return undefined;
  const joined = posix.normalize(posix.join(folder, path)).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../")) return undefined;
  return joined === "" ? "." : joined;
}

/**
 * A build context from the map: every file under `folder` with its size, mode and sha256,
 * judged by definition/'s rules (`.dockerignore`, the Dockerfile inside the context).
 */
function contextOf(files: FileMap, folder: string, dockerfilePath: string): WalkedBuildContext {
  const prefix = folder === "." ? "" : `${folder}/`;
  const entries: ContextEntry[] = [];
  for (const [path, file] of files) {
    if (!path.startsWith(prefix)) continue;
    entries.push({
      path: path.slice(prefix.length),
      type: "file",
      size: file.bytes.byteLength,
      sha256: sha256Of(file.bytes),
      mode: file.mode,
    });
  }
  if (entries.length === 0) {
    throw ValidationError.single({
      file: folder,
      message: "cannot open the build context: no such file or folder",
    });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const dockerignore = files.get(`${prefix}.dockerignore`);
  const selection = selectContextFiles({
    entries,
    ...(dockerignore === undefined ? {} : { dockerignore: decode(dockerignore.bytes) }),
    dockerfilePath,
    contextPath: folder,
  });
  const dockerfile = files.get(`${prefix}${selection.dockerfilePath}`);
  return {
    contextPath: folder,
    dockerfilePath: selection.dockerfilePath,
    dockerfile: dockerfile === undefined ? "" : decode(dockerfile.bytes),
    files: selection.files,
  };
}

/** `sha256:<hex>` → bytes of every file the definition's build context lists. */
function contextContentOf(files: FileMap, definition: Definition): Map<string, Uint8Array> {
  const content = new Map<string, Uint8Array>();
  const { base } = definition;
  if (base.kind !== "build") return content;
  const prefix = base.contextPath === "." ? "" : `${base.contextPath}/`;
  for (const file of base.files) {
    const mapped = files.get(`${prefix}${file.path}`);
    if (file.linkTarget === undefined && mapped !== undefined)
      content.set(file.sha256, mapped.bytes);
  }
  return content;
}

/**
 * The definition's own text files: everything outside its build context, and of the context
 * only its Dockerfile and `.dockerignore` (the rest is listed in the definition, not kept).
 */
function sourceFilesOf(files: FileMap, definition: Definition): Record<string, string> {
  const { base } = definition;
  const context = base.kind === "build" ? base.contextPath : undefined;
  const kept =
    base.kind === "build"
      ? new Set([
          posix.join(base.contextPath, base.dockerfilePath),
          posix.join(base.contextPath, ".dockerignore"),
        ])
      : new Set<string>();
  const out: Record<string, string> = {};
  for (const path of [...files.keys()].sort()) {
    const inContext = context !== undefined && (context === "." || path.startsWith(`${context}/`));
    if (inContext && !kept.has(path)) continue;
    const file = files.get(path);
    const text = file === undefined ? undefined : strictText(file.bytes);
    if (text !== undefined) out[path] = text;
  }
  return out;
}

// As readFile(path, "utf8"): a byte-order mark stays in the text.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The text, or undefined for bytes that are not UTF-8 (kept in the content store only). */
function strictText(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
