/**
 * The client half of an upload: from a definition on this machine's disk to the files a server
 * needs to read it (the entry, its conda_file, `-r`/`-c` includes, its build context after
 * `.dockerignore`). The CLI registers through this path even in-process, so a registration with
 * and without `--server` reads exactly the same bytes.
 */
import { lstat, readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ValidationError } from "../../errors/index.js";
import { detectFileKind } from "../../host/detect-kind.js";
import {
  errorCode,
  fileError,
  readSourceText,
  readSourceTextSync,
} from "../../host/file-errors.js";
import { walkBuildContext } from "../../host/walk-build-context.js";
import {
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_DOCKERFILE,
} from "../../definition/azureml-v1.js";
import type { DefinitionKind } from "../../definition/definition.js";
import { envforgeFileNeeds, parseEnvforgeFile } from "../../definition/envforge-file.js";
import { parsePipRequirements } from "../../definition/pip-requirements.js";
import type { DefinitionUpload, UploadedFile } from "./upload-schema.js";

export interface CollectUploadOptions {
  readonly kind?: DefinitionUpload["kind"];
  readonly dockerfilePath?: string;
  /** Relative paths are taken from here (default: the process's folder). */
  readonly cwd?: string;
}

export interface CollectedUpload {
  readonly upload: DefinitionUpload;
  /** The upload's root as the user would name it (for messages). */
  readonly displayRoot: string;
}

const V1_FILES = [AZUREML_V1_DEFINITION_FILE, AZUREML_V1_CONDA_FILE, AZUREML_V1_DOCKERFILE];

export async function collectUpload(
  path: string,
  options: CollectUploadOptions = {},
): Promise<CollectedUpload> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, path);
  const files = new Map<string, UploadedFile>(); // absolute path → content

  let isFolder: boolean;
  try {
    isFolder = (await lstat(absolute)).isDirectory();
  } catch (error) {
    throw fileError(path, "read the definition", error);
  }

  if (isFolder) {
    await collectFolder(absolute, options.kind, options.dockerfilePath, files);
  } else {
    const source = await readSourceText(absolute);
    files.set(absolute, source.text);
    const kind = options.kind ?? detectFileKind(source);
    await collectReferences(absolute, source.text, kind, options, files);
  }

  const root = commonFolder([isFolder ? absolute : dirname(absolute), ...files.keys()]);
  const toUpload = (file: string): string => relative(root, file).split(sep).join("/") || ".";
  const upload: DefinitionUpload = {
    entry: toUpload(absolute),
    files: Object.fromEntries([...files].map(([file, content]) => [toUpload(file), content])),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
  };
  const shown = relative(cwd, root);
  return { upload, displayRoot: shown === "" ? "." : shown.startsWith("..") ? root : shown };
}

async function collectFolder(
  folder: string,
  kind: DefinitionKind | undefined,
  dockerfilePath: string | undefined,
  files: Map<string, UploadedFile>,
): Promise<void> {
  const v1 =
    kind === "azureml-v1" ||
    (kind === undefined && (await isFile(join(folder, AZUREML_V1_DEFINITION_FILE))));
  if (v1) {
    for (const name of V1_FILES) {
      const file = join(folder, name);
      if (await isFile(file)) files.set(file, (await readSourceText(file)).text);
    }
    return;
  }
  const context = await walkBuildContext(
    folder,
    dockerfilePath === undefined ? {} : { dockerfilePath },
  );
  const links = context.files.filter((file) => file.linkTarget !== undefined);
  if (links.length > 0) {
    throw new ValidationError(
      links.map((link) => ({
        file: join(folder, link.path),
        message: "a symlink cannot be uploaded; replace it with the file it points to",
        found: `symlink to ${JSON.stringify(link.linkTarget)}`,
      })),
    );
  }
  const names = new Set([...context.files.map((file) => file.path), context.dockerfilePath]);
  if (await isFile(join(folder, ".dockerignore"))) names.add(".dockerignore");
  for (const name of [...names].sort()) {
    const file = join(folder, ...name.split("/"));
    let bytes: Buffer;
    let mode: number;
    try {
      bytes = await readFile(file);
      mode = (await lstat(file)).mode & 0o777;
    } catch (error) {
      throw fileError(file, "read the file", error);
    }
    // Bytes and mode as they are: both are part of the definition hash.
    files.set(file, { base64: bytes.toString("base64"), mode });
  }
}

async function collectReferences(
  file: string,
  text: string,
  kind: DefinitionKind | undefined,
  options: CollectUploadOptions,
  files: Map<string, UploadedFile>,
): Promise<void> {
  const folder = dirname(file);
  if (kind === "azureml-v1") {
    await collectFolder(folder, kind, undefined, files);
    return;
  }
  if (kind === "build-context") {
    await collectFolder(folder, kind, options.dockerfilePath, files);
    return;
  }
  // Unreadable or invalid content is left for the loader to report with its full message.
  try {
    if (kind === "pip") {
      parsePipRequirements(
        { path: file, text },
        {
          readInclude: (path) => {
            const included = readSourceTextSync(path);
            if (included !== undefined) files.set(path, included.text);
            return included;
          },
        },
      );
    }
    if (kind === "envforge" || kind === "azureml-v2") {
      const needs = envforgeFileNeeds(parseEnvforgeFile({ path: file, text }, { kind }));
      if (needs.condaFile !== undefined && !isAbsolute(needs.condaFile)) {
        const conda = join(folder, needs.condaFile);
        if (await isFile(conda)) files.set(conda, (await readSourceText(conda)).text);
      }
      if (needs.buildContext !== undefined && !isAbsolute(needs.buildContext.path)) {
        await collectFolder(
          join(folder, needs.buildContext.path),
          "build-context",
          needs.buildContext.dockerfilePath,
          files,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return false;
    throw fileError(path, "inspect the file", error);
  }
}

function commonFolder(paths: readonly string[]): string {
  const split = paths.map((path) => path.split(sep));
  const first = split[0] ?? [];
  let length = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < length && i < parts.length && parts[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join(sep) || sep;
}
