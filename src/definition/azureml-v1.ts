/**
 * Azure ML v1 environment folders (`Environment.save_to_directory` / `load_from_directory`):
 * `azureml_environment.json`, `conda_dependencies.yml` and an optional `BaseDockerfile`.
 * Pure both ways: the host reads and writes the files.
 *
 * Decisions where v1 holds more than envforge can honour:
 * - `docker.baseImageRegistry.password` is an error (the password is never copied, never shown):
 *   a secret must not become part of a stored definition; use `docker login`. A username or
 *   registry identity is dropped with a warning; `address` completes a registry-less baseImage.
 * - spark, databricks, r, inferencingStackVersion, a remote buildContext and
 *   baseCondaEnvironment with content are errors: envforge cannot build them, and silently
 *   dropping them would give an environment that differs from what the user declared.
 * - docker run settings (shmSize, arguments, enabled, sharedVolumes, gpuSupport) belong to a
 *   run, not an image; non-default values are dropped with a warning.
 * - `python.userManagedDependencies: true` with a conda file: the conda file is ignored (as
 *   Azure ignores it), with a warning; Azure's own save writes one in that case too.
 */
import { Document, isMap, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { BaseSource } from "./assemble-definition.js";
import { assembleDefinition } from "./assemble-definition.js";
import type { WrittenAzureMlV1 } from "./azureml-v1-schema.js";
import { writtenAzureMlV1Schema } from "./azureml-v1-schema.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import { condaChannelsOrDefaults, withImplicitChannels } from "./implicit-channels.js";
import type {
  CondaEnvironment,
  Definition,
  ImageReference,
  ParseSettings,
  PipRequirements,
  SourceText,
} from "./definition.js";
import type { ValueProblem } from "./definition-rules.js";
import { checkVariableName, checkVariableValue } from "./definition-rules.js";
import { checkImageReference, formatImageReference } from "./image-reference.js";
import type { KeyPath, YamlSource } from "./yaml-source.js";
import { formatKeyPath, parseYamlSource, problemsFromZodIssues } from "./yaml-source.js";

export const AZUREML_V1_DEFINITION_FILE = "azureml_environment.json";
export const AZUREML_V1_CONDA_FILE = "conda_dependencies.yml";
export const AZUREML_V1_DOCKERFILE = "BaseDockerfile";

/** The files of a v1 folder, as read. */
export interface AzureMlV1Files {
  readonly environment: SourceText;
  readonly condaDependencies?: SourceText;
  readonly baseDockerfile?: SourceText;
}

export interface AzureMlV1Loaded {
  readonly definition: Definition;
  /** Content that was accepted but dropped, for the caller to show. */
  readonly warnings: readonly Problem[];
}

export interface AzureMlV1Saved {
  /** File name → content, in the order written. */
  readonly files: Readonly<Record<string, string>>;
  readonly warnings: readonly Problem[];
}

/** Docker's platform architecture ↔ conda subdir. */
const ARCHITECTURES: Readonly<Record<string, string>> = {
  amd64: "linux-64",
  arm64: "linux-aarch64",
  ppc64le: "linux-ppc64le",
  s390x: "linux-s390x",
  arm: "linux-armv7l",
};

/** azureml-core's DockerSection default; other values are a run setting we cannot honour. */
const DEFAULT_SHM_SIZE = "2g";

export function definitionFromAzureMlV1(
  files: AzureMlV1Files,
  settings: ParseSettings,
): AzureMlV1Loaded {
  const yaml = parseYamlSource(files.environment);
  const schema = writtenAzureMlV1Schema();
  const checked = schema.safeParse(yaml.value);
  if (!checked.success) {
    throw new ValidationError(problemsFromZodIssues(checked.error.issues, { yaml, schema }));
  }
  const written = checked.data;
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const at = locator(yaml);

  checkUnsupported(written, at, problems, warnings);
  const base = baseOf(written, files, at, problems);
  const platform = platformOf(written, at, problems);
  const variables = variablesOf(written, yaml, at, problems);

  const userManaged = written.python?.userManagedDependencies ?? false;
  let conda = condaOf(written, files, problems);
  if (userManaged && conda !== undefined) {
    warnings.push(
      at(["python", "userManagedDependencies"], {
        message: `${files.condaDependencies === undefined ? "python.condaDependencies" : AZUREML_V1_CONDA_FILE} is ignored: Python is user-managed`,
      }),
    );
    conda = undefined;
  }

  if (problems.length > 0) throw new ValidationError(problems);
  const version =
    written.version == null ? undefined : (yaml.scalarText(["version"]) ?? String(written.version));
  const definition = assembleDefinition(
    {
      kind: "azureml-v1",
      origin: files.environment.path,
      name: written.name,
      ...(version === undefined ? {} : { version }),
      ...(base === undefined ? {} : { base }),
      ...(conda === undefined ? {} : { conda }),
      variables,
      ...(platform === undefined ? {} : { platform }),
      python: {
        userManagedDependencies: userManaged,
        ...(written.python?.interpreterPath == null
          ? {}
          : { interpreterPath: written.python.interpreterPath }),
      },
    },
    settings,
  );
  return { definition, warnings };
}

type At = (path: KeyPath, body: ValueProblem) => Problem;

function locator(yaml: YamlSource): At {
  return (path, body) => {
    const position = yaml.locateValue(path) ?? yaml.locateNearest(path);
    return {
      file: yaml.source.path,
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
      key: formatKeyPath(path),
      ...body,
    };
  };
}

function checkUnsupported(
  written: WrittenAzureMlV1,
  at: At,
  problems: Problem[],
  warnings: Problem[],
): void {
  const registry = written.docker?.baseImageRegistry;
  if (registry?.password != null && registry.password !== "") {
    problems.push(
      at(["docker", "baseImageRegistry", "password"], {
        message:
          "a registry password cannot be part of an environment definition; remove it and log in with `docker login` (envforge uses the Docker credentials)",
        found: "a password (not shown)",
        allowed: "null",
      }),
    );
  }
  if (registry?.username != null && registry.username !== "") {
    warnings.push(
      at(["docker", "baseImageRegistry", "username"], {
        message: "ignored: registry credentials come from the Docker configuration",
      }),
    );
  }
  if (registry?.registryIdentity != null) {
    warnings.push(
      at(["docker", "baseImageRegistry", "registryIdentity"], {
        message: "ignored: registry credentials come from the Docker configuration",
      }),
    );
  }
  const unsupported = (path: KeyPath, what: string, found: string): void => {
    problems.push(at(path, { message: `${what} is not supported by envforge`, found }));
  };
  if (written.python?.baseCondaEnvironment != null) {
    unsupported(
      ["python", "baseCondaEnvironment"],
      "an incremental base conda environment",
      JSON.stringify(written.python.baseCondaEnvironment),
    );
  }
  if (written.python?.condaDependenciesFile != null) {
    warnings.push(
      at(["python", "condaDependenciesFile"], {
        message: `ignored (deprecated): the folder's ${AZUREML_V1_CONDA_FILE} is used`,
      }),
    );
  }
  const context = written.docker?.buildContext;
  if (context != null && (context.location ?? "") !== "") {
    unsupported(
      ["docker", "buildContext"],
      "a remote build context (git or storage account)",
      JSON.stringify(context.location),
    );
  }
  for (const key of ["repositories", "packages"] as const) {
    const list = written.spark?.[key];
    if (list != null && list.length > 0) unsupported(["spark", key], "Spark", "a non-empty list");
  }
  const databricks = written.databricks ?? {};
  for (const [key, list] of Object.entries(databricks)) {
    if (Array.isArray(list) && list.length > 0) {
      unsupported(["databricks", key], "Databricks", "a non-empty list");
    }
  }
  if (written.r != null) unsupported(["r"], "the R section (deprecated by Azure ML)", "a mapping");
  if (written.inferencingStackVersion != null) {
    unsupported(
      ["inferencingStackVersion"],
      "the Azure ML inferencing stack",
      JSON.stringify(written.inferencingStackVersion),
    );
  }
  const docker = written.docker;
  const runSettings: [KeyPath, boolean][] = [
    [["docker", "shmSize"], docker?.shmSize != null && docker.shmSize !== DEFAULT_SHM_SIZE],
    [["docker", "arguments"], (docker?.arguments ?? []).length > 0],
  ];
  for (const [path, set] of runSettings) {
    if (set) {
      warnings.push(
        at(path, { message: "ignored: a docker run setting belongs to a job, not to an image" }),
      );
    }
  }
}

function baseOf(
  written: WrittenAzureMlV1,
  files: AzureMlV1Files,
  at: At,
  problems: Problem[],
): BaseSource | undefined {
  const dockerfile = files.baseDockerfile?.text ?? written.docker?.baseDockerfile ?? undefined;
  const baseImage = written.docker?.baseImage ?? undefined;
  if (dockerfile !== undefined && baseImage !== undefined) {
    problems.push(
      at(["docker", "baseImage"], {
        message: `give a base image or a ${AZUREML_V1_DOCKERFILE}, not both (Azure ML keeps only one)`,
        found: JSON.stringify(baseImage),
      }),
    );
    return undefined;
  }
  if (dockerfile !== undefined) return { kind: "dockerfile", dockerfile };
  if (baseImage === undefined) return undefined;

  const checked = checkImageReference(baseImage);
  if (!checked.ok) {
    problems.push(
      at(["docker", "baseImage"], {
        message: `not a valid image reference: ${checked.message}`,
        found: JSON.stringify(baseImage),
        ...(checked.allowed === undefined ? {} : { allowed: checked.allowed }),
      }),
    );
    return undefined;
  }
  const address = written.docker?.baseImageRegistry?.address ?? "";
  const image = withRegistry(checked.reference, address);
  if (image === undefined) {
    problems.push(
      at(["docker", "baseImageRegistry", "address"], {
        message: "the registry address does not match the registry of docker.baseImage",
        found: JSON.stringify(address),
        allowed: JSON.stringify(checked.reference.registry),
      }),
    );
    return undefined;
  }
  return { kind: "image", image };
}

/** Azure keeps the registry apart (`baseImageRegistry.address`); envforge keeps one reference. */
function withRegistry(reference: ImageReference, address: string): ImageReference | undefined {
  const host = address.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  if (host === "") return reference;
  if (reference.registry === undefined) {
    const checked = checkImageReference(`${host}/${formatImageReference(reference)}`);
    return checked.ok ? checked.reference : undefined;
  }
  return reference.registry === host ? reference : undefined;
}

function platformOf(written: WrittenAzureMlV1, at: At, problems: Problem[]): string | undefined {
  const platform = written.docker?.platform;
  if (platform == null) return undefined;
  if (platform.os != null && platform.os.toLowerCase() !== "linux") {
    problems.push(
      at(["docker", "platform", "os"], {
        message: "only Linux images are supported",
        found: JSON.stringify(platform.os),
        allowed: '"Linux"',
      }),
    );
  }
  if (platform.architecture == null) return undefined;
  const subdir = ARCHITECTURES[platform.architecture.toLowerCase()];
  if (subdir === undefined) {
    problems.push(
      at(["docker", "platform", "architecture"], {
        message: "not a supported architecture",
        found: JSON.stringify(platform.architecture),
        allowed: Object.keys(ARCHITECTURES).join(", "),
      }),
    );
  }
  return subdir;
}

function variablesOf(
  written: WrittenAzureMlV1,
  yaml: YamlSource,
  at: At,
  problems: Problem[],
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(written.environmentVariables ?? {})) {
    if (value === null) continue;
    const text =
      typeof value === "string"
        ? value
        : (yaml.scalarText(["environmentVariables", name]) ?? String(value));
    const problem = checkVariableName(name) ?? checkVariableValue(text);
    if (problem !== undefined) problems.push(at(["environmentVariables", name], problem));
    variables[name] = text;
  }
  return variables;
}

function condaOf(
  written: WrittenAzureMlV1,
  files: AzureMlV1Files,
  problems: Problem[],
): CondaEnvironment | undefined {
  const inline = written.python?.condaDependencies;
  const source =
    files.condaDependencies ??
    (inline == null
      ? undefined
      : { path: files.environment.path, text: new Document(inline).toString({ lineWidth: 0 }) });
  if (source === undefined) return undefined;
  try {
    const conda = parseCondaEnvironment(source);
    if (files.condaDependencies !== undefined) return conda;
    const { source: _generated, ...rest } = conda;
    return rest;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(
      ...error.problems.map((problem) =>
        files.condaDependencies !== undefined
          ? problem
          : {
              file: files.environment.path,
              message: problem.message,
              key: `python.condaDependencies.${problem.key ?? ""}`.replace(/\.$/, ""),
              ...(problem.found === undefined ? {} : { found: problem.found }),
              ...(problem.allowed === undefined ? {} : { allowed: problem.allowed }),
            },
      ),
    );
    return undefined;
  }
}

/**
 * The files of a v1 folder for a Definition. Throws a ValidationError for what v1 cannot hold
 * (apt packages, a local build context, pip constraints, no name).
 */
export function azureMlV1FromDefinition(definition: Definition): AzureMlV1Saved {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  if (definition.name === undefined) {
    problems.push({ key: "name", message: "an Azure ML v1 folder needs an environment name" });
  }
  if (definition.base.kind === "build") {
    problems.push({
      key: "build",
      message: "a local build context cannot be saved as an Azure ML v1 folder",
      allowed: "an image or a Dockerfile",
    });
  }
  if (definition.apt.length > 0) {
    problems.push({
      key: "apt",
      message: "apt packages cannot be saved in an Azure ML v1 folder",
      allowed: "install them in a Dockerfile",
    });
  }
  if (definition.pip !== undefined && definition.pip.constraints.length > 0) {
    problems.push({
      key: "pip",
      message: `pip constraints (-c) cannot be written into ${AZUREML_V1_CONDA_FILE}`,
    });
  }
  if (definition.python.userManagedDependencies && definition.pip !== undefined) {
    problems.push({
      key: "pip",
      message: `Azure ML v1 keeps pip requirements in ${AZUREML_V1_CONDA_FILE}, which it ignores when Python is user-managed, and this definition installs them with the image's interpreter`,
      allowed: "--to envforge",
    });
  }
  if (definition.description !== undefined || Object.keys(definition.tags).length > 0) {
    warnings.push({ message: "description and tags are not part of an Azure ML v1 folder" });
  }
  if (definition.pip !== undefined) {
    warnings.push({
      message: `pip requirements were written into the pip: list of ${AZUREML_V1_CONDA_FILE}`,
    });
  }
  const architecture = Object.entries(ARCHITECTURES).find(
    ([, subdir]) => subdir === definition.platform,
  )?.[0];
  if (architecture === undefined) {
    problems.push({
      key: "platform",
      message: "no Docker architecture for this platform",
      found: JSON.stringify(definition.platform),
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);

  const { base } = definition;
  const baseImage =
    base.kind === "image" && !base.defaulted ? formatImageReference(base.image) : null;
  const environment = {
    name: definition.name,
    version: definition.version ?? null,
    environmentVariables: sortedRecord(definition.variables),
    python: {
      userManagedDependencies: definition.python.userManagedDependencies,
      interpreterPath: definition.python.interpreterPath,
      condaDependenciesFile: null,
      baseCondaEnvironment: null,
    },
    docker: {
      enabled: false,
      baseImage,
      baseDockerfile: null,
      sharedVolumes: true,
      shmSize: DEFAULT_SHM_SIZE,
      arguments: [],
      baseImageRegistry: { address: null, username: null, password: null },
      platform: { os: "Linux", architecture },
    },
    spark: { repositories: [], packages: [], precachePackages: true },
    databricks: {
      mavenLibraries: [],
      pypiLibraries: [],
      rcranLibraries: [],
      jarLibraries: [],
      eggLibraries: [],
    },
    inferencingStackVersion: null,
  };
  const files: Record<string, string> = {
    // azureml-core writes json.dump(indent=4).
    [AZUREML_V1_DEFINITION_FILE]: `${JSON.stringify(environment, null, 4)}\n`,
  };
  if (definition.conda !== undefined) {
    files[AZUREML_V1_CONDA_FILE] = condaText(definition.conda, pipLines(definition.pip));
  }
  if (base.kind === "dockerfile") files[AZUREML_V1_DOCKERFILE] = base.dockerfile;
  return { files, warnings };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** Requirement-file lines for pip requirements kept beside the conda spec. */
export function pipLines(pip: PipRequirements | undefined): string[] {
  if (pip === undefined) return [];
  return [
    ...(pip.indexUrl === undefined ? [] : [`--index-url ${pip.indexUrl}`]),
    ...pip.extraIndexUrls.map((url) => `--extra-index-url ${url}`),
    ...pip.findLinks.map((url) => `--find-links ${url}`),
    ...(pip.pre ? ["--pre"] : []),
    ...pip.requirements.map((requirement) =>
      [requirement.requirement, ...requirement.hashes.map((hash) => `--hash=${hash}`)].join(" "),
    ),
  ];
}

/** The conda file as written when there is one (comments kept), else made from the model. */
export function condaText(conda: CondaEnvironment, extraPip: readonly string[]): string {
  if (conda.source !== undefined) {
    const edited = extraPip.length === 0 ? conda.source.text : withPipLines(conda.source, extraPip);
    if (edited !== undefined) return withImplicitChannels(edited);
  }
  const pip = [...conda.pip, ...extraPip];
  const written = {
    ...(conda.name === undefined ? {} : { name: conda.name }),
    channels: [...condaChannelsOrDefaults(conda.channels)],
    dependencies: [...conda.dependencies, ...(pip.length === 0 ? [] : [{ pip }])],
    ...(Object.keys(conda.variables).length === 0 ? {} : { variables: { ...conda.variables } }),
    ...(conda.prefix === undefined ? {} : { prefix: conda.prefix }),
  };
  return new Document(written).toString({ lineWidth: 0 });
}

function withPipLines(source: SourceText, lines: readonly string[]): string | undefined {
  const document = parseDocument<Node>(source.text);
  if (document.errors.length > 0 || !isMap(document.contents)) return undefined;
  const dependencies = document.contents.get("dependencies", true);
  if (dependencies == null) {
    document.setIn(["dependencies"], [{ pip: [...lines] }]);
  } else if (isSeq(dependencies)) {
    const index = dependencies.items.findIndex((item) => isMap(item) && item.has("pip"));
    if (index < 0) document.addIn(["dependencies"], { pip: [...lines] });
    else for (const line of lines) document.addIn(["dependencies", index, "pip"], line);
  } else {
    return undefined;
  }
  return document.toString({ flowCollectionPadding: false, lineWidth: 0 });
}
