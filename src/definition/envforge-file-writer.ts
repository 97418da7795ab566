/**
 * The other direction of envforge-file.ts: a Definition written as envforge.yaml or as an Azure
 * ML CLI v2 environment YAML, with its conda file beside it. Pure: returns file contents; the
 * caller writes them. What a format cannot hold is refused (never silently dropped).
 */
import { Document } from "yaml";
import { ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import { condaText, pipLines } from "./azureml-v1.js";
import type { Definition } from "./definition.js";
import { DEFAULT_DOCKERFILE_PATH } from "./envforge-file.js";
import { formatImageReference } from "./image-reference.js";

export type EnvforgeFileFormat = "envforge" | "azureml-v2";

export const WRITTEN_FILE_NAMES: Readonly<Record<EnvforgeFileFormat, string>> = {
  envforge: "envforge.yaml",
  "azureml-v2": "azureml-environment.yaml",
};
export const WRITTEN_CONDA_FILE = "conda.yml";
/** Where a Dockerfile-only definition's Dockerfile goes: a build context of its own. */
export const WRITTEN_CONTEXT_FOLDER = "context";

export interface WriteEnvforgeFileOptions {
  readonly format: EnvforgeFileFormat;
  /**
   * For a build-context definition: the context folder relative to where the files are
   * written (the caller knows both places; this module has no file system).
   */
  readonly contextPath?: string;
}

export interface WrittenEnvforgeFiles {
  /** Relative path → content. */
  readonly files: Readonly<Record<string, string>>;
  readonly warnings: readonly Problem[];
}

export function envforgeFilesFromDefinition(
  definition: Definition,
  options: WriteEnvforgeFileOptions,
): WrittenEnvforgeFiles {
  const { format } = options;
  const azure = format === "azureml-v2";
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const refuse = (key: string, message: string, allowed: string): void => {
    problems.push({ key, message, allowed });
  };

  const files: Record<string, string> = {};
  const written: Record<string, unknown> = {};
  if (definition.name !== undefined) written.name = definition.name;
  if (definition.version !== undefined) written.version = definition.version;
  if (definition.description !== undefined) written.description = definition.description;
  if (Object.keys(definition.tags).length > 0) written.tags = { ...definition.tags };

  const { base } = definition;
  switch (base.kind) {
    case "image":
      // The default base image is written out: a file must name its base (image or build).
      written.image = formatImageReference(base.image);
      break;
    case "dockerfile":
      files[`${WRITTEN_CONTEXT_FOLDER}/${DEFAULT_DOCKERFILE_PATH}`] = base.dockerfile;
      written.build = { path: WRITTEN_CONTEXT_FOLDER };
      break;
    case "build":
      if (options.contextPath === undefined) {
        refuse("build.path", "the build context folder is not known", "a context path");
      }
      written.build = {
        path: options.contextPath ?? ".",
        ...(base.dockerfilePath === DEFAULT_DOCKERFILE_PATH
          ? {}
          : { dockerfile_path: base.dockerfilePath }),
      };
      break;
  }

  const { conda } = definition;
  if (conda !== undefined && !definition.python.userManagedDependencies) {
    if (base.kind !== "image") {
      refuse(
        "conda_file",
        `${WRITTEN_FILE_NAMES[format]} takes a conda file only with an image, and this definition builds from a Dockerfile`,
        "--to azureml-v1, whose folder holds a BaseDockerfile and conda dependencies together",
      );
    }
    // Azure v2 has no pip key: extra pip requirements join the conda file's pip: list.
    const extraPip = azure ? pipLines(definition.pip) : [];
    if (azure && (definition.pip?.constraints.length ?? 0) > 0) {
      refuse("pip", "pip constraints (-c) cannot be written into a conda file", "--to envforge");
    }
    files[WRITTEN_CONDA_FILE] = condaText(conda, extraPip);
    written.conda_file = WRITTEN_CONDA_FILE;
  }

  if (azure) {
    if (definition.python.userManagedDependencies && pipLines(definition.pip).length > 0) {
      refuse(
        "pip",
        "Azure ML v2 keeps pip requirements in a conda file, and this definition installs them with the image's interpreter",
        "--to envforge",
      );
    }
    if (definition.apt.length > 0) {
      refuse("apt", "Azure ML v2 environments have no apt packages", "--to envforge");
    }
    if (Object.keys(definition.variables).length > 0) {
      refuse("variables", "Azure ML v2 environments have no variables", "--to envforge");
    }
    if (definition.platform !== "linux-64") {
      refuse(
        "platform",
        `Azure ML v2 builds linux-64 only, not ${definition.platform}`,
        "--to envforge",
      );
    }
    if (definition.python.interpreterPath !== "python") {
      warnings.push({
        key: "python.interpreter_path",
        message: "Azure ML v2 has no interpreter path; it was left out",
      });
    }
    written.os_type = "linux";
  } else {
    const pip = pipLines(definition.pip);
    const constraints = definition.pip?.constraints ?? [];
    if (constraints.length > 0) {
      refuse("pip", "envforge.yaml's pip list has no constraints (-c)", "requirements without -c");
    }
    if (pip.length > 0) written.pip = pip;
    if (definition.apt.length > 0) written.apt = [...definition.apt];
    if (Object.keys(definition.variables).length > 0) {
      written.variables = { ...definition.variables };
    }
    written.platform = definition.platform;
    written.python = {
      user_managed_dependencies: definition.python.userManagedDependencies,
      ...(definition.python.interpreterPath === "python"
        ? {}
        : { interpreter_path: definition.python.interpreterPath }),
    };
  }

  if (problems.length > 0) {
    throw new ValidationError(problems.map((p) => ({ ...p, file: WRITTEN_FILE_NAMES[format] })));
  }
  files[WRITTEN_FILE_NAMES[format]] = new Document(written).toString({ lineWidth: 0 });
  return { files, warnings };
}
