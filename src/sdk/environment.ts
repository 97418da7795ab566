import { readFileSync } from "node:fs";
import { CondaDependencies } from "../conda/conda-dependencies.js";
import { loadAzureMlV1Folder, saveAzureMlV1Folder } from "../host/azureml-v1-folder.js";
import { readConfig } from "../host/config.js";
import { ValidationError } from "../errors/index.js";
import { fileError } from "../host/file-errors.js";
import { readSourceTextSync } from "../host/file-errors.js";
import { walkBuildContext } from "../host/walk-build-context.js";
import type { WalkedBuildContext } from "../host/walk-build-context.js";
import { makeRecipe } from "../recipe/index.js";
import type { Recipe } from "../recipe/index.js";
import {
  assembleDefinition,
  definitionFromBuildContext,
  definitionFromConda,
  definitionFromDockerfile,
  definitionFromImage,
  definitionFromPip,
} from "../definition/assemble-definition.js";
import type { BaseSource } from "../definition/assemble-definition.js";
import { parseCondaEnvironment } from "../definition/conda-environment.js";
import { definitionHash } from "../definition/definition-hash.js";
import type {
  Definition,
  DefinitionKind,
  ParseSettings,
  PipRequirements,
  SourceText,
} from "../definition/definition.js";
import { formatImageReference } from "../definition/image-reference.js";
import type { Lock } from "../definition/lock.js";
import type { RegistrationLock } from "../workspace/lock-resolver.js";
import type { ImageDetails } from "../workspace/image-details.js";
import type { VersionSelector, Workspace } from "./workspace.js";
import type { BuildOptions, RunOptions } from "./workspace-endpoint.js";
import type { Build, Job } from "../workspace/build-api.js";
import { parsePipRequirements } from "../definition/pip-requirements.js";

/**
 * Azure ML's `PythonSection`: whether envforge makes a conda environment, and its spec. As in
 * Azure, there is always a spec; it is ignored while Python is user-managed.
 */
export interface PythonSection {
  userManagedDependencies: boolean;
  interpreterPath: string;
  condaDependencies: CondaDependencies;
}

/**
 * Azure ML's `DockerSection`: the base is an image, a Dockerfile or a build context. As in Azure,
 * the three exclude each other: setting one clears the other two.
 */
export class DockerSection {
  #baseImage: string | undefined;
  #baseDockerfile: string | undefined;
  #buildContext: WalkedBuildContext | undefined;
  /** Conda subdir of the target, e.g. `linux-64`. */
  platform: string;

  constructor(platform: string) {
    this.platform = platform;
  }

  /** Absent: the configured default base image (unless a Dockerfile or context is set). */
  get baseImage(): string | undefined {
    return this.#baseImage;
  }
  set baseImage(image: string | undefined) {
    this.#baseImage = image;
    if (image !== undefined) this.#clearAllBut("image");
  }

  get baseDockerfile(): string | undefined {
    return this.#baseDockerfile;
  }
  set baseDockerfile(dockerfile: string | undefined) {
    this.#baseDockerfile = dockerfile;
    if (dockerfile !== undefined) this.#clearAllBut("dockerfile");
  }

  get buildContext(): WalkedBuildContext | undefined {
    return this.#buildContext;
  }
  set buildContext(context: WalkedBuildContext | undefined) {
    this.#buildContext = context;
    if (context !== undefined) this.#clearAllBut("build");
  }

  /** The base as the definition model needs it; undefined for the configured default. */
  baseSource(): BaseSource | undefined {
    if (this.#buildContext !== undefined) return { kind: "build", ...this.#buildContext };
    if (this.#baseDockerfile !== undefined) {
      return { kind: "dockerfile", dockerfile: this.#baseDockerfile };
    }
    if (this.#baseImage !== undefined) return { kind: "image", image: this.#baseImage };
    return undefined;
  }

  #clearAllBut(kept: "image" | "dockerfile" | "build"): void {
    if (kept !== "image") this.#baseImage = undefined;
    if (kept !== "dockerfile") this.#baseDockerfile = undefined;
    if (kept !== "build") this.#buildContext = undefined;
  }
}

export interface DependencyFiles {
  /** Path of a conda environment.yml to create in the image. */
  readonly condaSpecification?: string;
  /** Path of a pip requirements.txt to install in the image. */
  readonly pipRequirements?: string;
}

export interface RecipeRequest {
  readonly lock?: Lock;
  readonly baseImageDigest?: string;
  readonly settings?: ParseSettings;
}

/**
 * An environment as Azure ML's SDK presents it, in TypeScript idiom: made from a conda spec, pip
 * requirements, an image, a Dockerfile or a build context; edited through mutable sections; and
 * turned into the readonly Definition (and its hash and recipe) on demand.
 */
export class Environment {
  name: string;
  version: string | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  environmentVariables: Record<string, string>;
  /** Debian packages installed with apt (envforge's addition). */
  aptPackages: string[];
  /** Pip requirements beyond the conda spec's `pip:` list (from a requirements file). */
  pipRequirements: PipRequirements | undefined;
  readonly python: PythonSection;
  readonly docker: DockerSection;
  readonly #kind: DefinitionKind;
  /** The version number a workspace gave this environment (register, get). */
  #assignedVersion: string | undefined;
  /**
   * After `register`: whether the version has its lock, and per part why not (`unlocked`
   * versions also raise a warning through the workspace's warning sink).
   */
  lock: RegistrationLock | undefined = undefined;

  private constructor(
    name: string,
    kind: DefinitionKind,
    platform: string,
    condaDependencies: CondaDependencies,
  ) {
    this.name = name;
    this.version = undefined;
    this.description = undefined;
    this.tags = {};
    this.environmentVariables = {};
    this.aptPackages = [];
    this.pipRequirements = undefined;
    this.python = {
      userManagedDependencies: false,
      interpreterPath: "python",
      condaDependencies,
    };
    this.docker = new DockerSection(platform);
    this.#kind = kind;
  }

  /** An environment holding exactly what a parsed definition holds. */
  static fromDefinition(
    definition: Definition,
    name = definition.name ?? "unnamed",
    settings: ParseSettings = settingsFromEnvironment(),
  ): Environment {
    const condaDependencies =
      definition.conda === undefined
        ? CondaDependencies.create({ pythonVersion: settings.defaultPythonVersion })
        : CondaDependencies.fromEnvironment(definition.conda);
    const env = new Environment(name, definition.kind, definition.platform, condaDependencies);
    env.version = definition.version;
    env.description = definition.description;
    env.tags = { ...definition.tags };
    env.environmentVariables = { ...definition.variables };
    env.aptPackages = [...definition.apt];
    env.pipRequirements = definition.pip;
    env.python.userManagedDependencies = definition.python.userManagedDependencies;
    env.python.interpreterPath = definition.python.interpreterPath;
    const { base } = definition;
    if (base.kind === "image" && !base.defaulted) {
      env.docker.baseImage = formatImageReference(base.image);
    } else if (base.kind === "dockerfile") {
      env.docker.baseDockerfile = base.dockerfile;
    } else if (base.kind === "build") {
      const { kind: _kind, ...context } = base;
      env.docker.buildContext = context;
    }
    return env;
  }

  /** Azure's `Environment.from_conda_specification(name, file_path)`. */
  static fromCondaSpecification(name: string, path: string): Environment {
    const conda = parseCondaEnvironment(readText(path));
    return Environment.fromDefinition(
      definitionFromConda({ name, conda, origin: path }, settingsFromEnvironment()),
      name,
    );
  }

  /** Azure's `Environment.from_pip_requirements(name, file_path, pip_version)`. */
  static fromPipRequirements(name: string, path: string, pipVersion?: string): Environment {
    const pip = parsePipRequirements(readText(path), { readInclude: readSourceTextSync });
    return Environment.fromDefinition(
      definitionFromPip(
        { name, pip, origin: path, ...(pipVersion === undefined ? {} : { pipVersion }) },
        settingsFromEnvironment(),
      ),
      name,
    );
  }

  /** Azure's `Environment.from_docker_image(name, image, conda_specification, pip_requirements)`. */
  static fromDockerImage(name: string, image: string, files: DependencyFiles = {}): Environment {
    return Environment.#withBase(name, { image }, files);
  }

  /**
   * Azure's `Environment.from_dockerfile(name, dockerfile, ...)`: `dockerfile` is the content, or
   * a path to read when it is a single line naming an existing file.
   */
  static fromDockerfile(
    name: string,
    dockerfile: string,
    files: DependencyFiles = {},
  ): Environment {
    const content = looksLikePath(dockerfile) ? readText(dockerfile).text : dockerfile;
    return Environment.#withBase(name, { dockerfile: content }, files);
  }

  /** Azure's `Environment.from_docker_build_context(name, docker_build_context)`. */
  static async fromDockerBuildContext(
    name: string,
    path: string,
    options: { readonly dockerfilePath?: string } = {},
  ): Promise<Environment> {
    const context = await walkBuildContext(path, options);
    const settings = settingsFromEnvironment();
    return Environment.fromDefinition(
      definitionFromBuildContext({ name, context, origin: path }, settings),
      name,
      settings,
    );
  }

  /** Azure's `Environment.load_from_directory(path)`: an Azure ML v1 environment folder. */
  static async loadFromDirectory(path: string): Promise<Environment> {
    const { definition } = await loadAzureMlV1Folder(path, { settings: settingsFromEnvironment() });
    return Environment.fromDefinition(definition);
  }

  /** Azure's `save_to_directory(path, overwrite)`: writes an Azure ML v1 environment folder. */
  async saveToDirectory(
    path: string,
    options: { readonly overwrite?: boolean } = {},
  ): Promise<void> {
    await saveAzureMlV1Folder(this.toDefinition(), path, { overwrite: options.overwrite === true });
  }

  /**
   * Azure's `env.register(workspace)`: registers this environment under its name. The same
   * content as the latest version returns that version; changed content becomes latest + 1.
   * `version` is set to the number the workspace gave.
   */
  async register(
    workspace: Workspace,
    options: {
      /** Refuse (ValidationError, nothing written) rather than register without a lock. */
      readonly requireLock?: boolean;
    } = {},
  ): Promise<this> {
    // A number the workspace gave is not a request: edited content then gets the next one.
    const requested =
      this.version === undefined ||
      this.version === this.#assignedVersion ||
      !/^\d+$/.test(this.version)
        ? undefined
        : Number(this.version);
    // The workspace reads a definition's own version as a request too; ours is in `requested`.
    const { version: _version, ...definition } = this.toDefinition();
    const registered = await workspace.registerDefinition({
      name: this.name,
      definition,
      ...(requested === undefined ? {} : { version: requested }),
      ...(options.requireLock === undefined ? {} : { requireLock: options.requireLock }),
    });
    this.version = String(registered.version);
    this.#assignedVersion = this.version;
    this.lock = workspace.lastLock;
    this.#nameCondaAfter(registered.definitionHash);
    return this;
  }

  /**
   * A registered environment's conda spec is named by its definition hash, as the image's is
   * (Azure ML: `azureml_<hash>`), so `serializeToString()` shows `name: envforge_<hash>`.
   */
  #nameCondaAfter(definitionHash: string): void {
    if (!this.python.userManagedDependencies) {
      this.python.condaDependencies.setName(definitionHash);
    }
  }

  /**
   * Azure's `env.build(workspace)`: builds this version's image (or finds it built) and waits
   * for the end. A failed build is returned with its reason.
   */
  build(workspace: Workspace, options: BuildOptions = {}): Promise<Build> {
    return workspace.build({ name: this.name, ...this.#selector() }, options);
  }

  /** Runs a command in this version's image and returns the finished job with its exit code. */
  run(workspace: Workspace, command: readonly string[], options: RunOptions = {}): Promise<Job> {
    return workspace.run({ name: this.name, ...this.#selector() }, command, options);
  }

  /** Points `label` (e.g. `prod`) at this version. */
  async setLabel(workspace: Workspace, label: string): Promise<void> {
    await workspace.setLabel({ name: this.name, ...this.#registeredVersion("setLabel") }, label);
  }

  /** Archives this version: hidden from lists and `latest`, still readable by number. */
  archive(workspace: Workspace): Promise<void> {
    return workspace.archive({ name: this.name, ...this.#registeredVersion("archive") });
  }

  #registeredVersion(verb: string): { readonly version: number } {
    const { version } = this.#selector();
    if (version === undefined) {
      throw ValidationError.single({
        key: "version",
        message: `${verb} needs a registered version`,
        allowed: "register(workspace) or Environment.get(workspace, name) first",
      });
    }
    return { version };
  }

  /**
   * Azure's `get_image_details(workspace)`: the image name, registry, whether it exists, and the
   * ingredients (Dockerfile, conda spec, lock, pip requirements) of this environment's version.
   */
  getImageDetails(workspace: Workspace): Promise<ImageDetails> {
    return workspace.getImageDetails(this.name, this.#selector());
  }

  /** Azure's `Environment.get(workspace, name, version=None, label=None)`. */
  static async get(
    workspace: Workspace,
    name: string,
    selector: VersionSelector = {},
  ): Promise<Environment> {
    const stored = await workspace.getVersion(name, selector);
    const env = Environment.fromDefinition(stored.definition, stored.name);
    env.version = String(stored.version);
    env.#assignedVersion = env.version;
    env.description = stored.description;
    env.tags = { ...stored.tags };
    env.#nameCondaAfter(stored.definitionHash);
    return env;
  }

  /** Azure's `Environment.list(workspace)`: the latest version of each environment, by name. */
  static async list(workspace: Workspace): Promise<Map<string, Environment>> {
    const summaries = await workspace.listEnvironments();
    const entries = await Promise.all(
      summaries.map(
        async (summary) => [summary.name, await Environment.get(workspace, summary.name)] as const,
      ),
    );
    return new Map(entries);
  }

  #selector(): VersionSelector {
    return this.version !== undefined && /^\d+$/.test(this.version)
      ? { version: Number(this.version) }
      : {};
  }

  /** The readonly definition this environment stands for; every rule is checked here. */
  toDefinition(settings: ParseSettings = settingsFromEnvironment()): Definition {
    const base = this.docker.baseSource();
    const conda = this.python.userManagedDependencies
      ? undefined
      : this.python.condaDependencies.toCondaEnvironment();
    return assembleDefinition(
      {
        kind: this.#kind,
        name: this.name,
        ...(this.version === undefined ? {} : { version: this.version }),
        ...(this.description === undefined ? {} : { description: this.description }),
        tags: this.tags,
        ...(base === undefined ? {} : { base }),
        ...(conda === undefined ? {} : { conda }),
        ...(this.pipRequirements === undefined || this.python.userManagedDependencies
          ? {}
          : { pip: this.pipRequirements }),
        apt: this.aptPackages,
        variables: this.environmentVariables,
        platform: this.docker.platform,
        python: {
          userManagedDependencies: this.python.userManagedDependencies,
          interpreterPath: this.python.interpreterPath,
        },
      },
      settings,
    );
  }

  /** `envforge_<32 hex>`: equal for environments that build the same image. */
  definitionHash(settings?: ParseSettings): string {
    return definitionHash(this.toDefinition(settings));
  }

  /** The ingredients of this environment's image: Dockerfile, conda spec, pip requirements. */
  getRecipe(request: RecipeRequest = {}): Recipe {
    const definition = this.toDefinition(request.settings);
    return makeRecipe(definition, {
      definitionHash: definitionHash(definition),
      ...(request.lock === undefined ? {} : { lock: request.lock }),
      ...(request.baseImageDigest === undefined
        ? {}
        : { baseImageDigest: request.baseImageDigest }),
    });
  }

  static #withBase(
    name: string,
    base: { readonly image: string } | { readonly dockerfile: string },
    files: DependencyFiles,
  ): Environment {
    const extra = {
      name,
      ...(files.condaSpecification === undefined
        ? {}
        : { conda: parseCondaEnvironment(readText(files.condaSpecification)) }),
      ...(files.pipRequirements === undefined
        ? {}
        : {
            pip: parsePipRequirements(readText(files.pipRequirements), {
              readInclude: readSourceTextSync,
            }),
          }),
    };
    const settings = settingsFromEnvironment();
    // Azure: with neither conda nor pip, the image's own Python is used as it is.
    const definition =
      "image" in base
        ? definitionFromImage({ ...extra, image: base.image }, settings)
        : definitionFromDockerfile({ ...extra, dockerfile: base.dockerfile }, settings);
    return Environment.fromDefinition(definition, name, settings);
  }
}

function settingsFromEnvironment(): ParseSettings {
  return readConfig(process.env).parse;
}

function readText(path: string): SourceText {
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (error) {
    throw fileError(path, "read the file", error);
  }
}

function looksLikePath(text: string): boolean {
  if (text.includes("\n")) return false;
  try {
    readFileSync(text);
    return true;
  } catch {
    return false;
  }
}
