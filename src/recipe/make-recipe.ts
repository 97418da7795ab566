/**
 * Definition (+ lock, + base digest) → the ingredients of its image, as pure data. Every input
 * is checked first (check-input.ts), so a recipe either exists whole or not at all.
 */
import { byCodeUnits } from "../definition/canonical-json.js";
import { sha256Hex } from "../definition/definition-hash.js";
import type { Lock } from "../definition/lock.js";
import type { Definition } from "../definition/definition.js";
import { IMAGE_CONDA_PREFIX, imageHash } from "../definition/image-hash.js";
import { formatImageReference } from "../definition/image-reference.js";
import { checkRecipeInput } from "./check-input.js";
import { condaSpecification } from "./conda-specification.js";
import type { DockerfileParts } from "./dockerfile.js";
import { installsAnything, renderDockerfile } from "./dockerfile.js";
import { dockerPlatformOf } from "./docker-platform.js";
import { packageGroups } from "./package-groups.js";
import { PIP_NETRC_SECRET, needsPipNetrc } from "./pip-netrc.js";
import { condaPipScheme, pipLayers } from "./pip-layers.js";
import { pipFiles } from "./pip-requirements-text.js";
import type {
  ContextEntry,
  GeneratedFile,
  PackageGroup,
  PipLayer,
  PythonEnvironment,
  Recipe,
  RecipeImageConfig,
  LocalSource,
  RecipeOptions,
  VcsSource,
} from "./recipe.js";
import { readUserDockerfile } from "./user-dockerfile.js";
import { pinFromLines } from "./from-lines.js";

export const GENERATED_DIRECTORY = "envforge";
export const DOCKERFILE_PATH = `${GENERATED_DIRECTORY}/Dockerfile`;
/** The build argument naming the base image of `Recipe.layersDockerfile`. */
export const LAYERS_BASE_ARGUMENT = "ENVFORGE_BASE_IMAGE";
/** Where the builder puts each VCS requirement's source tree in the build context. */
export const VCS_DIRECTORY = `${GENERATED_DIRECTORY}/vcs`;
/** Where the builder puts each build-context folder a pip requirement names. */
export const LOCAL_DIRECTORY = `${GENERATED_DIRECTORY}/local`;

export function makeRecipe(definition: Definition, options: RecipeOptions): Recipe {
  checkRecipeInput(definition, options);
  const { definitionHash, lock } = options;
  const image = imageHash(definitionHash, lock);
  const environmentName = definitionHash;
  const condaPrefix = IMAGE_CONDA_PREFIX;
  const hasConda = definition.conda !== undefined && !definition.python.userManagedDependencies;
  // The conda env's python, unless its lock shows it has none (a conda env of C libraries and
  // tools on an image with its own Python): then pip and jobs use the image's interpreter.
  const condaHasPython =
    hasConda && (lock === undefined || lockHasPython(lock, definition.platform));
  const python = condaHasPython ? `${condaPrefix}/bin/python` : definition.python.interpreterPath;

  const groups = hasConda
    ? packageGroups({ platform: definition.platform, ...(lock === undefined ? {} : { lock }) })
    : [];
  const pip = pipFiles({ definition, definitionHash, ...(lock === undefined ? {} : { lock }) });
  // With a lock and a conda python to install for, envforge installs the wheels itself, one
  // layer per distribution: the image needs no pip, and a wheel's layer depends on it alone.
  const pythonVersion =
    condaHasPython && lock !== undefined ? lockPythonVersion(lock, definition.platform) : undefined;
  const pipLayerList =
    pip !== undefined && lock !== undefined && pythonVersion !== undefined
      ? pipLayers({ lock, platform: definition.platform })
      : [];
  const pipScheme =
    pipLayerList.length > 0 && pythonVersion !== undefined
      ? condaPipScheme(condaPrefix, pythonVersion)
      : undefined;
  const pipInImage = pip !== undefined && pipScheme === undefined;
  const pipGenerated: GeneratedFile[] =
    pip === undefined
      ? []
      : [
          { path: `${GENERATED_DIRECTORY}/requirements.txt`, content: pip.requirements },
          ...(pip.constraints === undefined
            ? []
            : [{ path: `${GENERATED_DIRECTORY}/constraints.txt`, content: pip.constraints }]),
        ];
  const secret = pipInImage && needsPipNetrc(definition) ? PIP_NETRC_SECRET : undefined;
  const vcsSources = vcsSourcesOf(lock);
  const localSources = localSourcesOf(definition);

  const base = baseOf(definition, options);
  const parts: DockerfileParts = {
    header: [`envforge image ${image}, definition ${definitionHash}`],
    base,
    apt: aptPackages(definition, options.lock),
    ...(hasConda
      ? {
          conda: {
            prefix: condaPrefix,
            environmentName,
            groups,
            python,
            // A RUN with nothing to do still adds a layer (stamped /etc files) and prints noise
            // (compileall's "Can't list" for a missing site-packages), so skip it unless the lock
            // has noarch python packages, the only ones linked without .pyc files; without a
            // lock it cannot be known yet.
            compile:
              condaHasPython &&
              (lock === undefined || lockHasNoarchPython(lock, definition.platform)),
          },
        }
      : {}),
    ...(pipScheme === undefined ? {} : { pipLayers: pipLayerList.map((layer) => layer.directory) }),
    ...(!pipInImage
      ? {}
      : {
          pip: {
            python,
            pinned: pip.pinned,
            files: pipGenerated.map((file) => file.path),
            ...(secret === undefined ? {} : { secret }),
          },
        }),
    ...(vcsSources.length === 0 && localSources.length === 0
      ? {}
      : {
          sources: {
            python,
            folders: [
              ...vcsSources.map((source) => ({
                directory: source.directory,
                ...(source.pin.subdirectory === undefined
                  ? {}
                  : { subdirectory: source.pin.subdirectory }),
              })),
              ...localSources.map((source) => ({ directory: source.directory })),
            ],
          },
        }),
    // `conda activate` exports the environment's own variables; the image is always "activated"
    // (PATH, CONDA_PREFIX), so they are set too. The definition's variables win on a clash.
    variables: { ...(hasConda ? definition.conda?.variables : {}), ...definition.variables },
    labels: labelsOf(definition, options, image),
  };
  const dockerfile = renderDockerfile(parts);
  const layersDockerfile =
    base.kind === "user"
      ? renderDockerfile({
          ...parts,
          header: [
            `envforge layers of image ${image}, definition ${definitionHash}`,
            `build on the image of the user's Dockerfile: --build-arg ${LAYERS_BASE_ARGUMENT}=<its tag>`,
          ],
          base: {
            kind: "argument",
            name: LAYERS_BASE_ARGUMENT,
            ...(base.finalUser === undefined ? {} : { finalUser: base.finalUser }),
          },
        })
      : undefined;

  const generatedFiles: GeneratedFile[] = [
    { path: DOCKERFILE_PATH, content: dockerfile },
    ...pipGenerated,
  ];
  const context = contextOf(definition, generatedFiles, groups, pipLayerList, [
    ...vcsSources.map((source) => ({ path: source.directory, source: "vcs-source" as const })),
    ...localSources.map((source) => ({ path: source.directory, source: "local-source" as const })),
  ]);

  const pythonEnvironment: PythonEnvironment = hasConda
    ? {
        interpreterPath: python,
        condaEnvironmentName: environmentName,
        condaEnvironmentPath: condaPrefix,
      }
    : { interpreterPath: python };

  return {
    definitionHash,
    imageHash: image,
    dockerfile,
    dockerfilePath: DOCKERFILE_PATH,
    ...(layersDockerfile === undefined ? {} : { layersDockerfile }),
    ...(hasConda && definition.conda !== undefined
      ? { condaSpecification: condaSpecification(definition.conda, environmentName) }
      : {}),
    ...(pip === undefined ? {} : { pipRequirements: pip.requirements }),
    context,
    generatedFiles,
    packageGroups: groups,
    pipLayers: pipLayerList,
    vcsSources,
    localSources,
    ...(pipScheme === undefined ? {} : { pipScheme }),
    buildSecrets: secret === undefined ? [] : [secret],
    pythonEnvironment,
    ...(base.kind === "image" ? { baseImage: base.from } : {}),
    dockerPlatform: dockerPlatformOf(definition.platform),
    imageConfig: imageConfigOf(parts, hasConda ? condaPrefix : undefined),
  };
}

/** The ENV, LABEL and USER of the Dockerfile (dockerfile.ts writes them in this order). */
function imageConfigOf(parts: DockerfileParts, condaPrefix: string | undefined): RecipeImageConfig {
  const env: [string, string][] = [];
  if (condaPrefix !== undefined && parts.conda !== undefined) {
    env.push(["PATH", `${condaPrefix}/bin:$PATH`], ["CONDA_PREFIX", condaPrefix]);
    env.push(["CONDA_DEFAULT_ENV", parts.conda.environmentName]);
  }
  for (const [name, value] of Object.entries(parts.variables).sort(([a], [b]) => byCodeUnits(a, b)))
    env.push([name, value]);
  return {
    env,
    labels: parts.labels,
    ...(installsAnything(parts) && parts.base.kind === "image" ? { user: "root" } : {}),
  };
}

/** The user's files (build contexts), the generated files and the conda group folders, sorted. */
function contextOf(
  definition: Definition,
  generatedFiles: readonly GeneratedFile[],
  groups: readonly PackageGroup[],
  pipLayerList: readonly PipLayer[],
  sourceFolders: readonly ContextEntry[],
): ContextEntry[] {
  return [
    ...(definition.base.kind === "build"
      ? definition.base.files.map((file) => ({
          path: file.path,
          size: file.size,
          sha256: file.sha256,
          mode: file.mode,
          source: "user" as const,
        }))
      : []),
    ...generatedFiles.map((file) => ({
      path: file.path,
      size: new TextEncoder().encode(file.content).length,
      sha256: `sha256:${sha256Hex(file.content)}`,
      mode: 0o644,
      source: "generated" as const,
    })),
    ...groups.map((group) => ({ path: group.directory, source: "conda-prefix" as const })),
    ...pipLayerList.map((layer) => ({ path: layer.directory, source: "pip-layer" as const })),
    ...sourceFolders,
  ].sort((a, b) => byCodeUnits(a.path, b.path));
}

function baseOf(definition: Definition, options: RecipeOptions): DockerfileParts["base"] {
  const base = definition.base;
  if (base.kind === "image") {
    const digest = base.image.digest ?? options.baseImageDigest ?? options.lock?.baseImageDigest;
    return {
      kind: "image",
      from: formatImageReference({ ...base.image, ...(digest === undefined ? {} : { digest }) }),
    };
  }
  const user = readUserDockerfile(base.dockerfile);
  return {
    kind: "user",
    // The user's FROM lines name the digests the lock pinned; every other line stays as written.
    text: pinFromLines(base.dockerfile, options.lock?.baseImages ?? []),
    escape: user.escape,
    ...(user.finalUser === undefined ? {} : { finalUser: user.finalUser }),
  };
}

/**
 * Content-derived labels only: a name, version or build time would make two builds of one image
 * hash differ. `options.labels` may add more but not replace envforge's own.
 */
function labelsOf(
  definition: Definition,
  options: RecipeOptions,
  image: string,
): Record<string, string> {
  const labels: Record<string, string> = { ...options.labels };
  const base = definition.base;
  if (base.kind === "image") {
    const digest = base.image.digest ?? options.baseImageDigest ?? options.lock?.baseImageDigest;
    labels["org.opencontainers.image.base.name"] = formatImageReference({
      ...base.image,
      digest: undefined,
    });
    if (digest !== undefined) labels["org.opencontainers.image.base.digest"] = digest;
  }
  labels["dev.envforge.definition-hash"] = options.definitionHash;
  labels["dev.envforge.image-hash"] = image;
  return labels;
}

/** `major.minor` of the lock's conda python on `platform`, if it has one. */
/**
 * What the apt step installs: with a lock that pinned them, exactly `name=version` for every
 * package apt resolved (those asked for and what they pull in); else the names as written.
 */
function aptPackages(definition: Definition, lock: Lock | undefined): string[] {
  const pinned = lock?.platforms.find((p) => p.platform === definition.platform)?.apt;
  if (definition.apt.length > 0 && pinned !== undefined && pinned.length > 0) {
    return pinned.map((p) => `${p.name}=${p.version}`).sort(byCodeUnits);
  }
  return [...new Set(definition.apt)].sort(byCodeUnits);
}

/**
 * The definition's build-context folders to install (`-e .`, `./pkg`), in the order written;
 * the builder copies each folder's files to `envforge/local/<n>/` of the layers' context.
 */
function localSourcesOf(definition: Definition): LocalSource[] {
  if (definition.base.kind !== "build") return [];
  return (definition.pip?.requirements ?? []).flatMap((r, i) =>
    r.local === undefined
      ? []
      : [{ name: r.name, directory: `${LOCAL_DIRECTORY}/${i}/`, path: r.local.path }],
  );
}

/** The lock's VCS pins, in name order, each with its build-context folder. */
function vcsSourcesOf(lock: Lock | undefined): VcsSource[] {
  return [...(lock?.vcs ?? [])]
    .sort((a, b) => byCodeUnits(a.name, b.name))
    .map((pin) => ({ name: pin.name, directory: `${VCS_DIRECTORY}/${pin.name}/`, pin }));
}

function lockPythonVersion(lock: Lock, platform: string): string | undefined {
  const python = lock.platforms
    .find((p) => p.platform === platform)
    ?.conda.find((p) => p.name === "python");
  const match = /^(\d+)\.(\d+)/.exec(python?.version ?? "");
  return match === null ? undefined : `${match[1]}.${match[2]}`;
}

function lockHasNoarchPython(lock: Lock, platform: string): boolean {
  const packages = lock.platforms.find((p) => p.platform === platform)?.conda ?? [];
  return packages.some((p) => p.noarch === "python");
}

function lockHasPython(lock: Lock, platform: string): boolean {
  const packages = lock.platforms.find((p) => p.platform === platform)?.conda ?? [];
  return packages.some((p) => p.name === "python");
}
