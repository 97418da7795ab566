/**
 * The disk as a source of a file map: from a definition on this machine to the files it needs
 * (the entry, its conda_file, `-r`/`-c` includes, its build context after `.dockerignore`),
 * keyed relative to the folder that holds them all. In-process the map goes straight to the
 * loader; with a server it is what the upload carries, so both read exactly the same bytes.
 */
import { readFileSync } from "node:fs";
import { lstat, readFile, stat } from "node:fs/promises";
import { fileSizeProblem } from "../definition/input-limits.js";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ValidationError } from "../errors/index.js";
import {
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_DOCKERFILE,
} from "../definition/azureml-v1.js";
import { envforgeFileNeeds, parseEnvforgeFile } from "../definition/envforge-file.js";
import { parsePipRequirements } from "../definition/pip-requirements.js";
import type {
  DefinitionFiles,
  FileDefinitionKind,
  MappedFile,
  ParsedEntry,
} from "./definition-files.js";
import { detectFileKind } from "./detect-kind.js";
import { errorCode, fileError } from "./file-errors.js";
import { walkBuildContext } from "./walk-build-context.js";

export interface CollectDefinitionFilesOptions {
  readonly kind?: FileDefinitionKind;
  readonly dockerfilePath?: string;
  /** Relative paths are taken from here (default: the process's folder). */
  readonly cwd?: string;
  /** Called once for every file a definition parser reads (tests count parses with it). */
  readonly onParse?: (path: string) => void;
}

export interface CollectedDefinitionFiles {
  readonly files: DefinitionFiles;
  /** The map's root as the user would name it (for messages). */
  readonly displayRoot: string;
}

const V1_FILES = [AZUREML_V1_DEFINITION_FILE, AZUREML_V1_CONDA_FILE, AZUREML_V1_DOCKERFILE];
const TEXT_MODE = 0o644;

export async function collectDefinitionFiles(
  path: string,
  options: CollectDefinitionFilesOptions = {},
): Promise<CollectedDefinitionFiles> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = resolve(cwd, path);
  const files = new Map<string, MappedFile>(); // absolute path → content
  let isFolder: boolean;
  try {
    isFolder = (await lstat(absolute)).isDirectory();
  } catch (error) {
    throw fileError(path, "read the definition", error);
  }
  let detectedKind: FileDefinitionKind | undefined;
  let parsed: { readonly entry: ParsedEntry; readonly root: string } | undefined;
  if (isFolder) {
    await collectFolder(absolute, options.kind, options.dockerfilePath, files);
  } else {
    // Refused before reading (docs/limits.md): a huge file would be read whole into memory.
    const tooBig = fileSizeProblem(path, (await stat(absolute).catch(() => undefined))?.size ?? 0);
    if (tooBig !== undefined) throw ValidationError.single(tooBig);
    const bytes = await readBytes(absolute);
    files.set(absolute, { bytes, mode: TEXT_MODE });
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    // Told to the loader, so it does not detect (and parse) the kind a second time.
    const detected = options.kind ?? detectFileKind({ path: absolute, text });
    detectedKind = detected === "image" ? undefined : detected;
    parsed = await collectReferences(absolute, text, detectedKind, options, files);
  }
  const root = commonFolder([isFolder ? absolute : dirname(absolute), ...files.keys()]);
  const toKey = (file: string): string => relative(root, file).split(sep).join("/") || ".";
  const entry = toKey(absolute);
  const collected: DefinitionFiles = {
    entry,
    files: new Map([...files].map(([file, content]) => [toKey(file), content])),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(detectedKind === undefined ? {} : { detectedKind }),
    ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
    // The entry was parsed under its key in its own folder; when its references climb above
    // that folder the key changed, and the loader parses it under the new one instead.
    ...(parsed !== undefined && parsed.root === root ? { parsedEntry: parsed.entry } : {}),
  };
  const shown = relative(cwd, root);
  return {
    files: collected,
    displayRoot: shown === "" ? "." : shown.startsWith("..") ? root : shown,
  };
}

async function collectFolder(
  folder: string,
  kind: FileDefinitionKind | undefined,
  dockerfilePath: string | undefined,
  files: Map<string, MappedFile>,
): Promise<void> {
  const v1 =
    kind === "azureml-v1" ||
    (kind === undefined && (await isFile(join(folder, AZUREML_V1_DEFINITION_FILE))));
  if (v1) {
    for (const name of V1_FILES) {
      const file = join(folder, name);
      if (await isFile(file)) files.set(file, { bytes: await readBytes(file), mode: TEXT_MODE });
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
    files.set(file, { bytes, mode });
  }
}

/**
 * Reads what the entry refers to. The entry is parsed here, once, under its key in its own
 * folder (the map's root unless a reference climbs above it); the loader reuses that parse.
 * Unreadable or invalid content is left for the loader to report with its full message.
 */
async function collectReferences(
  file: string,
  text: string,
  kind: FileDefinitionKind | undefined,
  options: CollectDefinitionFilesOptions,
  files: Map<string, MappedFile>,
): Promise<{ readonly entry: ParsedEntry; readonly root: string } | undefined> {
  const folder = dirname(file);
  if (kind === "azureml-v1") {
    await collectFolder(folder, kind, undefined, files);
    return undefined;
  }
  if (kind === "build-context") {
    await collectFolder(folder, kind, options.dockerfilePath, files);
    return undefined;
  }
  const key = relative(folder, file).split(sep).join("/");
  try {
    if (kind === "pip") {
      const includes = new Map<string, Uint8Array>();
      options.onParse?.(key);
      const pip = parsePipRequirements(
        { path: key, text },
        {
          readInclude: (path) => {
            const absolute = join(folder, ...path.split("/"));
            const bytes = readBytesSync(absolute);
            if (bytes === undefined) return undefined;
            includes.set(absolute, bytes);
            options.onParse?.(path);
            return { path, text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) };
          },
        },
      );
      for (const [absolute, bytes] of includes) files.set(absolute, { bytes, mode: TEXT_MODE });
      return { entry: { kind, pip }, root: folder };
    }
    if (kind === "envforge" || kind === "azureml-v2") {
      options.onParse?.(key);
      const parsed = parseEnvforgeFile(
        { path: key, text },
        // As the loader reads it: a kind the user gave, else the file's own.
        options.kind === undefined ? {} : { kind },
      );
      const needs = envforgeFileNeeds(parsed);
      if (needs.condaFile !== undefined && !isAbsolute(needs.condaFile)) {
        const conda = join(folder, needs.condaFile);
        if (await isFile(conda))
          files.set(conda, { bytes: await readBytes(conda), mode: TEXT_MODE });
      }
      if (needs.buildContext !== undefined && !isAbsolute(needs.buildContext.path)) {
        await collectFolder(
          join(folder, needs.buildContext.path),
          "build-context",
          needs.buildContext.dockerfilePath,
          files,
        );
      }
      return { entry: { kind, file: parsed }, root: folder };
    }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
  return undefined;
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, "read the file", error);
  }
}

function readBytesSync(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
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
