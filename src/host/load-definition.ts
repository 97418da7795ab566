/**
 * Reads a definition from disk, whatever its source: a file (conda environment.yml, pip
 * requirements, envforge.yaml / Azure ML v2 YAML, Dockerfile, azureml_environment.json) or a
 * folder (an Azure ML v1 folder, else a Docker build context). Reads what the file refers to
 * (conda_file, build context, `-r` includes), then hands everything to the pure spec parsers.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import {
  definitionFromBuildContext,
  definitionFromConda,
  definitionFromDockerfile,
  definitionFromPip,
} from "../definition/assemble-definition.js";
import { AZUREML_V1_DEFINITION_FILE } from "../definition/azureml-v1.js";
import { parseCondaEnvironment } from "../definition/conda-environment.js";
import { parsePipRequirements } from "../definition/pip-requirements.js";
import { parseYamlSource } from "../definition/yaml-source.js";
import type {
  CondaEnvironment,
  Definition,
  DefinitionKind,
  ParseSettings,
} from "../definition/definition.js";
import {
  definitionFromEnvforgeFile,
  envforgeFileNeeds,
  parseEnvforgeFile,
} from "../definition/envforge-file.js";
import { detectFileKind, parseAsDetected } from "./detect-kind.js";
import { errorCode, fileError, readSourceText, readSourceTextSync } from "./file-errors.js";

export interface LoadDefinitionOptions {
  readonly settings: ParseSettings;
  /** Skip detection and read the path as this kind. */
  readonly kind?: DefinitionKind;
  /** For a build-context folder: the Dockerfile inside it (default `Dockerfile`). */
  readonly dockerfilePath?: string;
  /** Accepted-but-ignored content (inference_config, v1 run settings, ...). */
  readonly onWarning?: (warning: Problem) => void;
}

const KINDS_HINT =
  "a conda environment.yml, a pip requirements.txt, envforge.yaml or an Azure ML v2 environment YAML, a Dockerfile, an Azure ML v1 folder or a build context folder";

export async function loadDefinition(
  path: string,
  options: LoadDefinitionOptions,
): Promise<Definition> {
  const { settings } = options;
  const warn = (warnings: readonly Problem[]): void => {
    for (const warning of warnings) options.onWarning?.(warning);
  };
  if (options.kind === "image") throw notAFileKind(path);

  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw fileError(path, "read the definition", error);
  }

  if (isFolder) {
    const kind = options.kind ?? (await folderKind(path));
    if (kind === "azureml-v1") {
      // Loaded for a folder only, as is the build-context walk: a file needs neither.
      const { loadAzureMlV1Folder } = await import("./azureml-v1-folder.js");
      const { definition, warnings } = await loadAzureMlV1Folder(path, { settings });
      warn(warnings);
      return definition;
    }
    if (kind !== "build-context") {
      throw ValidationError.single({
        file: path,
        message: `a folder cannot be read as a ${kind} definition`,
        allowed: "an Azure ML v1 folder or a build context folder",
      });
    }
    const { walkBuildContext } = await import("./walk-build-context.js");
    const context = await walkBuildContext(path, {
      ...(options.dockerfilePath === undefined ? {} : { dockerfilePath: options.dockerfilePath }),
    });
    return definitionFromBuildContext({ context, origin: path }, settings);
  }

  const source = await readSourceText(path);
  const kind = options.kind ?? detectFileKind(source);
  // A kind told from the file's keys is named, with why, in a message about those keys.
  const detected = <T>(parse: () => T): T =>
    options.kind === undefined && kind !== undefined
      ? parseAsDetected(source, kind, parse)
      : parse();
  switch (kind) {
    case undefined:
      // A YAML file that does not parse is best answered with where it does not parse.
      if (/\.ya?ml$/i.test(path)) parseYamlSource(source);
      throw ValidationError.single({
        file: path,
        message: "cannot tell what kind of definition this file is",
        allowed: KINDS_HINT,
      });
    case "azureml-v1":
      return loadDefinition(dirname(path), { ...options, kind });
    case "build-context":
      // A file given as a build context is its Dockerfile; the context is its folder.
      return loadDefinition(dirname(path), {
        ...options,
        kind,
        dockerfilePath: options.dockerfilePath ?? basename(path),
      });
    case "image":
      throw notAFileKind(path);
    case "conda":
      return definitionFromConda(
        { conda: detected(() => parseCondaEnvironment(source)), origin: path },
        settings,
      );
    case "pip": {
      const pip = parsePipRequirements(source, { readInclude: readSourceTextSync });
      warn(pip.warnings ?? []);
      return definitionFromPip({ pip, origin: path }, settings);
    }
    case "dockerfile":
      return definitionFromDockerfile({ dockerfile: source.text, origin: path }, settings);
    case "azureml-v2":
    case "envforge": {
      const file = detected(() =>
        parseEnvforgeFile(source, options.kind === undefined ? {} : { kind }),
      );
      warn(file.warnings);
      const needs = envforgeFileNeeds(file);
      const folder = dirname(path);
      const conda =
        needs.condaFile === undefined
          ? undefined
          : await readCondaFile(path, relativeTo(folder, needs.condaFile));
      const context =
        needs.buildContext === undefined
          ? undefined
          : await (
              await import("./walk-build-context.js")
            ).walkBuildContext(relativeTo(folder, needs.buildContext.path), {
              dockerfilePath: needs.buildContext.dockerfilePath,
            });
      return definitionFromEnvforgeFile(
        file,
        {
          ...(conda === undefined ? {} : { conda }),
          ...(context === undefined ? {} : { context }),
        },
        settings,
      );
    }
  }
}

function notAFileKind(path: string): ValidationError {
  return ValidationError.single({
    file: path,
    message: "an image is not read from a file; give the image reference itself",
  });
}

async function folderKind(path: string): Promise<DefinitionKind> {
  try {
    const info = await stat(join(path, AZUREML_V1_DEFINITION_FILE));
    return info.isFile() ? "azureml-v1" : "build-context";
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "build-context";
    throw fileError(join(path, AZUREML_V1_DEFINITION_FILE), "inspect the file", error);
  }
}

/** Paths inside a definition file are relative to that file's folder. */
function relativeTo(folder: string, path: string): string {
  return isAbsolute(path) ? path : join(folder, path);
}

async function readCondaFile(definitionPath: string, condaPath: string): Promise<CondaEnvironment> {
  let source;
  try {
    source = await readSourceText(condaPath);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw ValidationError.single(
      {
        file: definitionPath,
        key: "conda_file",
        message: error.problems[0]?.message ?? "cannot read the conda file",
        found: JSON.stringify(condaPath),
      },
      { cause: error },
    );
  }
  return parseCondaEnvironment(source);
}
