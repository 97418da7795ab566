/**
 * The one place a Definition is made. Each source parser (conda, pip, envforge.yaml, Azure ML
 * v1/v2, Dockerfile, build context) hands over the parts it read; this applies the rules and
 * defaults Azure ML applies, so every source behaves the same:
 * - no base → the configured default base image (`defaulted: true`);
 * - no conda and no pip → user-managed Python (Azure's from_docker_image / from_dockerfile);
 * - pip without conda → a conda env with `python=<default>` and `pip` (from_pip_requirements);
 * - a conda spec without `python` gets `python=<default>` (from_conda_specification).
 */
import { isMap, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import type { Problem } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type {
  BaseSpec,
  CondaEnvironment,
  Definition,
  DefinitionKind,
  ImageReference,
  ParseSettings,
  PipRequirements,
  SourceText,
} from "./definition.js";
import type { ValueProblem } from "./definition-rules.js";
import {
  checkAptPackage,
  checkPlatform,
  checkVariableName,
  checkVariableValue,
  condaPackageName,
} from "./definition-rules.js";
import { checkImageReference } from "./image-reference.js";
import { formatKeyPath } from "./yaml-source.js";

export const DEFAULT_INTERPRETER_PATH = "python";

/** The base as a source gives it: an image may still be text to check. */
export type BaseSource =
  | { readonly kind: "image"; readonly image: ImageReference | string }
  | { readonly kind: "dockerfile"; readonly dockerfile: string }
  | Extract<BaseSpec, { readonly kind: "build" }>;

export interface DefinitionMetadata {
  readonly name?: string;
  readonly version?: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface DefinitionParts extends DefinitionMetadata {
  readonly kind: DefinitionKind;
  /** The file the parts were read from, named in messages. */
  readonly origin?: string;
  /** Absent: the configured default base image. */
  readonly base?: BaseSource;
  readonly conda?: CondaEnvironment;
  readonly pip?: PipRequirements;
  /** Pins the `pip` conda package added for pip requirements (Azure's `pip_version`). */
  readonly pipVersion?: string;
  readonly apt?: readonly string[];
  readonly variables?: Readonly<Record<string, string>>;
  readonly platform?: string;
  readonly python?: {
    readonly userManagedDependencies?: boolean;
    readonly interpreterPath?: string;
  };
}

/** Applies the rules and defaults; throws one ValidationError listing every problem. */
export function assembleDefinition(parts: DefinitionParts, settings: ParseSettings): Definition {
  const problems: Problem[] = [];
  const add = (key: string, problem: ValueProblem): void => {
    problems.push({
      ...(parts.origin === undefined ? {} : { file: parts.origin }),
      key,
      ...problem,
    });
  };

  const base = assembleBase(parts.base, settings, add);
  const userManaged =
    parts.python?.userManagedDependencies ?? (parts.conda === undefined && parts.pip === undefined);
  // pip requirements with user-managed Python are installed with the image's own interpreter
  // (interpreter_path), resolved for that interpreter; conda ones would have no env to go into.
  if (userManaged && parts.conda !== undefined) {
    add("python.user_managed_dependencies", {
      message: "Python is user-managed here, so conda dependencies would never be installed",
      allowed:
        "user_managed_dependencies: false, or no conda dependencies (pip requirements are installed with the image's interpreter)",
    });
  }
  const conda = userManaged ? undefined : assembleConda(parts, settings);

  const apt = parts.apt ?? [];
  apt.forEach((name, index) => {
    const problem = checkAptPackage(name);
    if (problem !== undefined) add(formatKeyPath(["apt", index]), problem);
  });
  const variables = parts.variables ?? {};
  for (const [name, value] of Object.entries(variables)) {
    const problem = checkVariableName(name) ?? checkVariableValue(value);
    if (problem !== undefined) add(formatKeyPath(["variables", name]), problem);
  }
  const platform = parts.platform ?? settings.defaultPlatform;
  const platformProblem = checkPlatform(platform);
  if (platformProblem !== undefined) add("platform", platformProblem);
  const interpreterPath = parts.python?.interpreterPath ?? DEFAULT_INTERPRETER_PATH;
  if (interpreterPath.trim() === "" || /[\r\n\0]/.test(interpreterPath)) {
    add("python.interpreter_path", {
      message: "not a usable interpreter path",
      found: JSON.stringify(interpreterPath),
      allowed: 'a command or absolute path, e.g. "python" or "/usr/bin/python3"',
    });
  }

  if (problems.length > 0) throw new ValidationError(problems);
  return {
    kind: parts.kind,
    ...(parts.name === undefined ? {} : { name: parts.name }),
    ...(parts.version === undefined ? {} : { version: parts.version }),
    ...(parts.description === undefined ? {} : { description: parts.description }),
    tags: parts.tags ?? {},
    base,
    ...(conda === undefined ? {} : { conda }),
    ...(parts.pip === undefined ? {} : { pip: parts.pip }),
    apt,
    variables,
    platform,
    python: { userManagedDependencies: userManaged, interpreterPath },
  };
}

function assembleBase(
  base: BaseSource | undefined,
  settings: ParseSettings,
  add: (key: string, problem: ValueProblem) => void,
): BaseSpec {
  if (base === undefined) {
    const checked = checkImageReference(settings.defaultBaseImage);
    if (!checked.ok) {
      add("defaultBaseImage", {
        message: `the configured default base image is not valid: ${checked.message}`,
        found: JSON.stringify(settings.defaultBaseImage),
      });
      return { kind: "image", image: { repository: "invalid" }, defaulted: true };
    }
    return { kind: "image", image: checked.reference, defaulted: true };
  }
  switch (base.kind) {
    case "image": {
      if (typeof base.image !== "string")
        return { kind: "image", image: base.image, defaulted: false };
      const checked = checkImageReference(base.image);
      if (checked.ok) return { kind: "image", image: checked.reference, defaulted: false };
      add("image", {
        message: `not a valid image reference: ${checked.message}`,
        found: JSON.stringify(base.image),
        ...(checked.allowed === undefined ? {} : { allowed: checked.allowed }),
      });
      return { kind: "image", image: { repository: "invalid" }, defaulted: false };
    }
    case "dockerfile":
      if (base.dockerfile.trim() === "") add("dockerfile", { message: "the Dockerfile is empty" });
      return { kind: "dockerfile", dockerfile: base.dockerfile };
    case "build":
      if (base.dockerfile.trim() === "") {
        add("build.dockerfile_path", {
          message: "the Dockerfile is empty",
          found: JSON.stringify(base.dockerfilePath),
        });
      }
      return base;
  }
}

/** The conda env to build: as given, or the one Azure makes for pip requirements alone. */
function assembleConda(parts: DefinitionParts, settings: ParseSettings): CondaEnvironment {
  const python = `python=${settings.defaultPythonVersion}`;
  const pipPackage = parts.pipVersion === undefined ? "pip" : `pip=${parts.pipVersion}`;
  if (parts.conda === undefined) {
    return {
      channels: [],
      dependencies: parts.pip === undefined ? [python] : [python, pipPackage],
      pip: [],
      variables: {},
    };
  }
  const names = new Set(parts.conda.dependencies.map(condaPackageName));
  const missing = [
    ...(names.has("python") ? [] : [python]),
    ...(parts.pip === undefined || names.has("pip") ? [] : [pipPackage]),
  ];
  return missing.length === 0 ? parts.conda : withDependencies(parts.conda, missing);
}

/**
 * Appends dependencies, editing the YAML as written too (comments and order kept) so that
 * `source` and the model never disagree; a source that cannot be edited is dropped.
 */
function withDependencies(conda: CondaEnvironment, added: readonly string[]): CondaEnvironment {
  const { source, ...rest } = conda;
  const edited = source === undefined ? undefined : appendToSource(source, added);
  return {
    ...rest,
    dependencies: [...conda.dependencies, ...added],
    ...(edited === undefined ? {} : { source: edited }),
  };
}

function appendToSource(source: SourceText, added: readonly string[]): SourceText | undefined {
  // Typed as a plain Node document so that new nodes may be inserted next to parsed ones.
  const document = parseDocument<Node>(source.text);
  if (document.errors.length > 0 || !isMap(document.contents)) return undefined;
  const dependencies = document.contents.get("dependencies", true);
  if (dependencies === undefined || dependencies === null) {
    document.setIn(["dependencies"], [...added]);
  } else if (isSeq(dependencies)) {
    // Before the `- pip:` mapping, where people put conda packages.
    const pipAt = dependencies.items.findIndex((item) => isMap(item));
    const at = pipAt < 0 ? dependencies.items.length : pipAt;
    dependencies.items.splice(at, 0, ...added.map((dependency) => document.createNode(dependency)));
  } else {
    return undefined;
  }
  return {
    path: source.path,
    text: document.toString({ flowCollectionPadding: false, lineWidth: 0 }),
  };
}

/** What Azure's `Environment.from_conda_specification` makes. */
export function definitionFromConda(
  options: DefinitionMetadata & { readonly conda: CondaEnvironment; readonly origin?: string },
  settings: ParseSettings,
): Definition {
  const { conda, ...rest } = options;
  return assembleDefinition({ ...rest, kind: "conda", conda }, settings);
}

/** What `Environment.from_pip_requirements` makes: python + pip in conda, then the requirements. */
export function definitionFromPip(
  options: DefinitionMetadata & {
    readonly pip: PipRequirements;
    readonly pipVersion?: string;
    readonly origin?: string;
  },
  settings: ParseSettings,
): Definition {
  return assembleDefinition({ ...options, kind: "pip" }, settings);
}

export interface ExtraDependencies {
  readonly conda?: CondaEnvironment;
  readonly pip?: PipRequirements;
}

/** What `Environment.from_docker_image` makes: the image as it is, or with conda or pip on top. */
export function definitionFromImage(
  options: DefinitionMetadata &
    ExtraDependencies & { readonly image: ImageReference | string; readonly origin?: string },
  settings: ParseSettings,
): Definition {
  const { image, ...rest } = options;
  refuseCondaAndPip(options);
  return assembleDefinition({ ...rest, kind: "image", base: { kind: "image", image } }, settings);
}

/** What `Environment.from_dockerfile` makes (the Dockerfile content, not a path). */
export function definitionFromDockerfile(
  options: DefinitionMetadata &
    ExtraDependencies & { readonly dockerfile: string; readonly origin?: string },
  settings: ParseSettings,
): Definition {
  const { dockerfile, ...rest } = options;
  refuseCondaAndPip(options);
  return assembleDefinition(
    { ...rest, kind: "dockerfile", base: { kind: "dockerfile", dockerfile } },
    settings,
  );
}

/** What `Environment.from_docker_build_context` makes: the context's image, Python as it is. */
export function definitionFromBuildContext(
  options: DefinitionMetadata & {
    readonly context: Omit<Extract<BaseSpec, { kind: "build" }>, "kind">;
    readonly origin?: string;
  },
  settings: ParseSettings,
): Definition {
  const { context, ...rest } = options;
  return assembleDefinition(
    { ...rest, kind: "build-context", base: { kind: "build", ...context } },
    settings,
  );
}

/** Azure ML: "conda_specification and pip_requirements are mutually exclusive". */
function refuseCondaAndPip(options: ExtraDependencies & { readonly origin?: string }): void {
  if (options.conda === undefined || options.pip === undefined) return;
  throw ValidationError.single({
    ...(options.origin === undefined ? {} : { file: options.origin }),
    message: "give a conda specification or pip requirements, not both",
    allowed: "conda (with a pip: list inside it if needed) or pip requirements",
  });
}
