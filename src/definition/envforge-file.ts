/**
 * envforge.yaml and the Azure ML CLI v2 environment YAML it extends. Pure: parsing returns the
 * file's content and the other files it needs (a conda file, a build context); the host reads
 * those and calls `definitionFromEnvforgeFile`. Rules are Azure's (reference-yaml-environment,
 * azure-ai-ml's EnvironmentSchema): exactly one of `image` and `build`, `conda_file` only with
 * `image`, unknown keys are errors, conda content pasted at the top level gets a hint.
 */
import { posix } from "node:path";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { DefinitionMetadata } from "./assemble-definition.js";
import { assembleDefinition } from "./assemble-definition.js";
import { normalizeContextPath } from "./build-context.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import type {
  BaseSpec,
  CondaEnvironment,
  Definition,
  ImageReference,
  ParseSettings,
  PipRequirements,
  SourceText,
} from "./definition.js";
import type { ValueProblem } from "./definition-rules.js";
import { checkAptPackage, checkVariableName, checkVariableValue } from "./definition-rules.js";
import { ENVFORGE_ONLY_KEYS, writtenEnvforgeFileSchema } from "./definition-schema.js";
import { checkImageReference } from "./image-reference.js";
import { checkPipRequirementLines } from "./pip-requirements.js";
import type { KeyPath, YamlSource } from "./yaml-source.js";
import {
  describeFound,
  formatKeyPath,
  parseYamlSource,
  problemsFromZodIssues,
} from "./yaml-source.js";

export type EnvforgeFileKind = "azureml-v2" | "envforge";

export const DEFAULT_DOCKERFILE_PATH = "Dockerfile";

/** The file names that are envforge.yaml whatever keys they use. */
export const ENVFORGE_FILE_NAMES = ["envforge.yaml", "envforge.yml"] as const;

export type CondaFileRef =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "inline"; readonly conda: CondaEnvironment };

export interface EnvforgeFile {
  readonly kind: EnvforgeFileKind;
  /** The file's path as given, for messages; relative paths inside it are relative to its folder. */
  readonly path: string;
  readonly metadata: DefinitionMetadata;
  readonly image?: ImageReference;
  readonly build?: { readonly path: string; readonly dockerfilePath: string };
  readonly condaFile?: CondaFileRef;
  readonly pip?: PipRequirements;
  readonly apt?: readonly string[];
  readonly variables?: Readonly<Record<string, string>>;
  readonly platform?: string;
  readonly python?: {
    readonly userManagedDependencies?: boolean;
    readonly interpreterPath?: string;
  };
  /** Accepted but ignored content (`inference_config`), for the caller to show. */
  readonly warnings: readonly Problem[];
}

/** Other files a parsed envforge.yaml refers to, as written (relative to the file's folder). */
export interface EnvforgeFileNeeds {
  readonly condaFile?: string;
  readonly buildContext?: { readonly path: string; readonly dockerfilePath: string };
}

const CONDA_KEYS = ["channels", "dependencies"] as const;

/** Parses and checks the whole file; throws one ValidationError with every problem in it. */
export function parseEnvforgeFile(
  source: SourceText,
  options: { readonly kind?: EnvforgeFileKind } = {},
): EnvforgeFile {
  const yaml = parseYamlSource(source);
  const value = yaml.value;
  if (!isRecord(value)) {
    throw ValidationError.single({
      file: source.path,
      line: 1,
      message: "expected a mapping of environment keys (name, image, conda_file, ...)",
      found: describeFound(value),
    });
  }
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const at = (path: KeyPath, body: ValueProblem): Problem => {
    const position = yaml.locateValue(path) ?? yaml.locateNearest(path);
    const key = formatKeyPath(path);
    return {
      file: source.path,
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
      ...(key === "" ? {} : { key }),
      ...body,
    };
  };

  // azure-ai-ml rejects these too (EnvironmentSchema.pre_load): conda content pasted in.
  for (const key of CONDA_KEYS) {
    if (key in value) {
      problems.push({
        ...at([key], { message: "" }),
        message:
          "this looks like a conda environment.yml; pass it with conda_file or use `envforge env create --file env.yml` directly",
        found: `a top-level ${JSON.stringify(key)}`,
        allowed: "conda_file: <path or mapping>",
      });
    }
  }
  const schema = writtenEnvforgeFileSchema();
  const checked = schema.safeParse(
    Object.fromEntries(Object.entries(value).filter(([key]) => !isCondaKey(key))),
  );
  if (!checked.success) {
    problems.push(...problemsFromZodIssues(checked.error.issues, { yaml, schema }));
  }

  // Read as Azure's format on request: envforge's own keys would make Azure refuse the file.
  if (options.kind === "azureml-v2") {
    for (const key of ENVFORGE_ONLY_KEYS) {
      if (key in value) {
        problems.push({
          ...at([key], { message: "" }),
          message: `${JSON.stringify(key)} is an envforge key, not part of the Azure ML v2 environment YAML`,
          allowed: "read the file as envforge.yaml (kind envforge)",
        });
      }
    }
  }

  const hasImage = value.image !== undefined;
  const hasBuild = value.build !== undefined;
  if (hasImage === hasBuild) {
    problems.push({
      ...at(hasBuild ? ["build"] : [], { message: "" }),
      message: 'give exactly one of "image" and "build"',
      found: hasImage ? "both" : "neither",
      allowed: "image: <reference>, or build: {path: <folder>}",
    });
  }
  if (value.conda_file !== undefined && hasBuild) {
    problems.push(
      at(["conda_file"], {
        message:
          "conda_file can only be used with image; a build context installs its own packages",
        allowed: "image with conda_file, or build without it",
      }),
    );
  }
  if (typeof value.os_type === "string" && value.os_type.toLowerCase() === "windows") {
    problems.push(
      at(["os_type"], {
        message: "windows is not supported: envforge builds Linux images",
        found: JSON.stringify(value.os_type),
        allowed: '"linux"',
      }),
    );
  }
  if (value.inference_config !== undefined) {
    warnings.push(
      at(["inference_config"], {
        message:
          "inference_config is ignored: envforge builds environments, it does not serve models",
      }),
    );
  }

  let image: ImageReference | undefined;
  if (typeof value.image === "string") {
    const result = checkImageReference(value.image);
    if (result.ok) image = result.reference;
    else {
      problems.push(
        at(["image"], {
          message: `not a valid image reference: ${result.message}`,
          found: JSON.stringify(value.image),
          ...(result.allowed === undefined ? {} : { allowed: result.allowed }),
        }),
      );
    }
  }

  const build = checkBuild(value.build, at, problems);
  const condaFile = checkCondaFile(value.conda_file, yaml, at, problems);

  if (Array.isArray(value.apt)) {
    value.apt.forEach((name, index) => {
      if (typeof name !== "string") return;
      const problem = checkAptPackage(name);
      if (problem !== undefined) problems.push(at(["apt", index], problem));
    });
  }
  const variables = stringMap(yaml, "variables");
  for (const [name, text] of Object.entries(variables ?? {})) {
    const problem = checkVariableName(name) ?? checkVariableValue(text);
    if (problem !== undefined) problems.push(at(["variables", name], problem));
  }

  let pip: PipRequirements | undefined;
  if (Array.isArray(value.pip) && value.pip.every((line) => typeof line === "string")) {
    const result = checkPipRequirementLines(value.pip, {
      path: source.path,
      // A folder inside `build.path` is installed from the context's files (pip-requirements.ts).
      ...(build === undefined ? {} : { contextFolder: build.path }),
      locate: (index) => {
        const position = yaml.locateValue(["pip", index]);
        return {
          key: formatKeyPath(["pip", index]),
          ...(position === undefined ? {} : { line: position.line, column: position.column }),
        };
      },
    });
    problems.push(...result.problems);
    // `-e` of a VCS URL or a context folder is accepted with a warning the user must see.
    warnings.push(...(result.value.warnings ?? []));
    pip = result.value;
  }

  if (problems.length > 0 || !checked.success) throw new ValidationError(byPosition(problems));
  const written = checked.data;
  const tags = stringMap(yaml, "tags");
  const version =
    typeof written.version === "number"
      ? (scalarString(yaml, ["version"]) ?? String(written.version))
      : written.version;
  const python =
    written.python === undefined
      ? undefined
      : {
          ...(written.python.user_managed_dependencies === undefined
            ? {}
            : { userManagedDependencies: written.python.user_managed_dependencies }),
          ...(written.python.interpreter_path === undefined
            ? {}
            : { interpreterPath: written.python.interpreter_path }),
        };
  return {
    kind: options.kind ?? detectKind(source.path, value),
    path: source.path,
    metadata: {
      ...(written.name === undefined ? {} : { name: written.name }),
      ...(version === undefined ? {} : { version }),
      ...(written.description === undefined ? {} : { description: written.description }),
      ...(tags === undefined ? {} : { tags }),
    },
    ...(image === undefined ? {} : { image }),
    ...(build === undefined ? {} : { build }),
    ...(condaFile === undefined ? {} : { condaFile }),
    ...(pip === undefined ? {} : { pip }),
    ...(written.apt === undefined ? {} : { apt: written.apt }),
    ...(variables === undefined ? {} : { variables }),
    ...(written.platform === undefined ? {} : { platform: written.platform }),
    ...(python === undefined ? {} : { python }),
    warnings,
  };
}

function checkBuild(
  build: unknown,
  at: (path: KeyPath, body: ValueProblem) => Problem,
  problems: Problem[],
): EnvforgeFile["build"] {
  if (!isRecord(build) || typeof build.path !== "string") return undefined;
  const path = build.path;
  let valid = true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.startsWith("git@")) {
    valid = false;
    problems.push(
      at(["build", "path"], {
        message: "build.path must be a local folder; git and storage URLs are not supported",
        found: JSON.stringify(path),
        allowed: "a folder path relative to this file",
      }),
    );
  } else if (path.trim() === "") {
    valid = false;
    problems.push(
      at(["build", "path"], { message: "build.path is empty", allowed: "a folder path" }),
    );
  }
  const written = typeof build.dockerfile_path === "string" ? build.dockerfile_path : undefined;
  const dockerfile = normalizeContextPath(written ?? DEFAULT_DOCKERFILE_PATH);
  if (!dockerfile.ok) {
    valid = false;
    problems.push(
      at(["build", "dockerfile_path"], {
        message: `the Dockerfile must be inside the build context: ${dockerfile.message}`,
        found: JSON.stringify(written),
        allowed: "a path relative to build.path, without ..",
      }),
    );
  }
  return valid && dockerfile.ok ? { path, dockerfilePath: dockerfile.path } : undefined;
}

function checkCondaFile(
  condaFile: unknown,
  yaml: YamlSource,
  at: (path: KeyPath, body: ValueProblem) => Problem,
  problems: Problem[],
): CondaFileRef | undefined {
  if (typeof condaFile === "string") {
    if (condaFile.trim() !== "") return { kind: "path", path: condaFile };
    problems.push(at(["conda_file"], { message: "conda_file is empty", allowed: "a file path" }));
    return undefined;
  }
  if (!isRecord(condaFile)) return undefined;
  try {
    // Parsing the mapping where it stands keeps line numbers right: everything before it is
    // blanked out (line breaks kept) and the mapping becomes the document.
    const node = yaml.document.get("conda_file", true);
    const range = isRangeNode(node) ? node.range : undefined;
    const text = yaml.source.text;
    const inline =
      range === undefined
        ? JSON.stringify(condaFile)
        : text.slice(0, range[0]).replace(/[^\n]/g, " ") + text.slice(range[0], range[2]);
    const { source: _blanked, ...conda } = parseCondaEnvironment({
      path: yaml.source.path,
      text: inline,
    });
    return { kind: "inline", conda };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(
      ...error.problems.map((problem) => ({
        ...problem,
        key:
          problem.key === undefined || problem.key === ""
            ? "conda_file"
            : problem.key.startsWith("[")
              ? `conda_file${problem.key}`
              : `conda_file.${problem.key}`,
      })),
    );
    return undefined;
  }
}

/** In file order, so the list reads top to bottom; problems without a line stay first. */
function byPosition(problems: readonly Problem[]): Problem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort(
      (a, b) =>
        (a.problem.line ?? 0) - (b.problem.line ?? 0) ||
        (a.problem.column ?? 0) - (b.problem.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ problem }) => problem);
}

function isRangeNode(node: unknown): node is { range: [number, number, number] } {
  return (
    typeof node === "object" &&
    node !== null &&
    "range" in node &&
    Array.isArray(node.range) &&
    node.range.length === 3
  );
}

/** A mapping of scalars as strings, numbers as written (`1.10` stays `1.10`). */
function stringMap(yaml: YamlSource, key: string): Record<string, string> | undefined {
  const map = isRecord(yaml.value) ? yaml.value[key] : undefined;
  if (!isRecord(map)) return undefined;
  const result: Record<string, string> = {};
  for (const [name, entry] of Object.entries(map)) {
    if (typeof entry === "string") result[name] = entry;
    else if (typeof entry === "number" || typeof entry === "boolean") {
      result[name] = scalarString(yaml, [key, name]) ?? String(entry);
    }
  }
  return result;
}

function scalarString(yaml: YamlSource, path: KeyPath): string | undefined {
  return yaml.scalarText(path);
}

function detectKind(path: string, value: Record<string, unknown>): EnvforgeFileKind {
  const name = posix.basename(path.replaceAll("\\", "/"));
  if ((ENVFORGE_FILE_NAMES as readonly string[]).includes(name)) return "envforge";
  return ENVFORGE_ONLY_KEYS.some((key) => key in value) ? "envforge" : "azureml-v2";
}

function isCondaKey(key: string): boolean {
  return (CONDA_KEYS as readonly string[]).includes(key);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The files the host must read before the Definition can be made. */
export function envforgeFileNeeds(file: EnvforgeFile): EnvforgeFileNeeds {
  return {
    ...(file.condaFile?.kind === "path" ? { condaFile: file.condaFile.path } : {}),
    ...(file.build === undefined ? {} : { buildContext: file.build }),
  };
}

/** What the host read for `envforgeFileNeeds`. */
export interface EnvforgeFileInputs {
  /** The parsed `conda_file`, when it is a path. */
  readonly conda?: CondaEnvironment;
  /** The walked build context, when there is `build`. */
  readonly context?: Omit<Extract<BaseSpec, { kind: "build" }>, "kind">;
}

export function definitionFromEnvforgeFile(
  file: EnvforgeFile,
  inputs: EnvforgeFileInputs,
  settings: ParseSettings,
): Definition {
  const conda = file.condaFile?.kind === "inline" ? file.condaFile.conda : inputs.conda;
  const missing = [
    ...(file.condaFile?.kind === "path" && inputs.conda === undefined ? ["conda_file"] : []),
    ...(file.build !== undefined && inputs.context === undefined ? ["build.path"] : []),
  ];
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((key) => ({ file: file.path, key, message: "was not read" })),
    );
  }
  return assembleDefinition(
    {
      kind: file.kind,
      origin: file.path,
      ...file.metadata,
      ...(file.image === undefined ? {} : { base: { kind: "image", image: file.image } }),
      ...(inputs.context === undefined ? {} : { base: { kind: "build", ...inputs.context } }),
      ...(conda === undefined ? {} : { conda }),
      ...(file.pip === undefined ? {} : { pip: file.pip }),
      ...(file.apt === undefined ? {} : { apt: file.apt }),
      ...(file.variables === undefined ? {} : { variables: file.variables }),
      ...(file.platform === undefined ? {} : { platform: file.platform }),
      ...(file.python === undefined ? {} : { python: file.python }),
    },
    settings,
  );
}
