/**
 * The ingredients of an image build, as pure data: what `envforge env show --dockerfile` prints,
 * what `getImageDetails().ingredients` returns, and what a builder writes into a build context.
 * docs/hashing.md and src/recipe/README.md describe the layout; nothing here holds a secret.
 */
import type {
  Lock,
  LockedCondaPackage,
  LockedPipPackage,
  LockedVcsPackage,
} from "../definition/lock.js";

export interface RecipeOptions {
  /** `envforge_<32 hex>` of the definition (from `definitionHash`). */
  readonly definitionHash: string;
  /** The resolved environment; without it conda packages are resolved at build time. */
  readonly lock?: Lock;
  /** `sha256:<64 hex>` of the base image, pinned into `FROM`. Wins over `lock.baseImageDigest`. */
  readonly baseImageDigest?: string;
  /** Extra image labels (e.g. the envforge version). Never put a name or a time here: the same
   * image hash must give the same image. */
  readonly labels?: Readonly<Record<string, string>>;
}

export type ContextSource =
  "user" | "generated" | "conda-prefix" | "pip-layer" | "vcs-source" | "local-source";

/** One entry of the build context. Directories end with `/` (conda prefix groups). */
export interface ContextEntry {
  /** POSIX path relative to the context root. */
  readonly path: string;
  readonly size?: number;
  /** `sha256:<hex>`, when known before the build. */
  readonly sha256?: string;
  readonly mode?: number;
  readonly source: ContextSource;
}

/** A file envforge writes into the build context before building. */
export interface GeneratedFile {
  /** POSIX path relative to the context root, always under `envforge/`. */
  readonly path: string;
  readonly content: string;
}

/**
 * A set of conda packages that lands in one image layer: the builder links them under
 * `envforge/prefix/<name>/` (paths relative to the prefix) and the Dockerfile COPYs that folder
 * into the conda prefix.
 */
export interface PackageGroup {
  /** `runtime`, `large-<package>`, `group-<n>`, or `all` when there is no lock. */
  readonly name: string;
  /** Context folder, `envforge/prefix/<name>/`. */
  readonly directory: string;
  /** Empty for `all` (filled when the build resolves the environment). */
  readonly packages: readonly LockedCondaPackage[];
}

/**
 * A set of pip distributions that lands in one image layer: the builder installs their wheels
 * under `envforge/pip/<name>/` as a tree rooted at the image's `/`, and the Dockerfile COPYs that
 * folder to `/`.
 */
export interface PipLayer {
  /** The distribution's name, or `group-<n>` when there are many (pip-layers.ts). */
  readonly name: string;
  /** Context folder, `envforge/pip/<name>/`. */
  readonly directory: string;
  readonly packages: readonly LockedPipPackage[];
}

/**
 * A VCS requirement's source tree at its locked commit: the builder fetches it into `directory`
 * of the build context, and the image's pip builds and installs it from there (dockerfile.ts).
 */
export interface VcsSource {
  readonly name: string;
  /** Context folder, `envforge/vcs/<name>/`. */
  readonly directory: string;
  readonly pin: LockedVcsPackage;
}

/**
 * A folder of the user's build context a pip requirement names (`-e .`, `./pkg`): the builder
 * copies its files to `directory` of the layers' build context (which holds no user files), and
 * the image's pip builds and installs it from there.
 */
export interface LocalSource {
  readonly name: string;
  /** Context folder, `envforge/local/<n>/`. */
  readonly directory: string;
  /** The folder in the user's build context, relative to its root (`""` for the root). */
  readonly path: string;
}

/** Where envforge installs wheels in the image: sysconfig's paths of the target interpreter. */
export interface PipScheme {
  /** `major.minor` of the target's python. */
  readonly pythonVersion: string;
  /** Absolute; the `#!` line of every script. */
  readonly interpreter: string;
  readonly purelib: string;
  readonly platlib: string;
  readonly scripts: string;
  readonly data: string;
  /** Headers of distribution `x` go to `<include>/x`. */
  readonly include: string;
}

/** A BuildKit secret the Dockerfile mounts; its content is never part of the recipe. */
export interface BuildSecret {
  readonly id: string;
  /** Where the RUN step mounts it. */
  readonly target: string;
  readonly description: string;
}

export interface PythonEnvironment {
  readonly interpreterPath: string;
  readonly condaEnvironmentName?: string;
  readonly condaEnvironmentPath?: string;
}

export interface Recipe {
  readonly definitionHash: string;
  readonly imageHash: string;
  readonly dockerfile: string;
  /** Context path of the Dockerfile to build (`envforge/Dockerfile`). */
  readonly dockerfilePath: string;
  /**
   * Dockerfile and build-context bases only: envforge's instructions alone, `FROM` the build
   * argument LAYERS_BASE_ARGUMENT. For a build in two steps that leaves the user's context
   * untouched: build the user's Dockerfile on the user's files, then this on a context holding
   * only the generated files and `envforge/prefix/` (`--build-arg ENVFORGE_BASE_IMAGE=<tag>`: a
   * tag, not an image id, since BuildKit reads `FROM` as a reference).
   * A one-step build of `dockerfile` puts `envforge/` into the user's context, where `COPY . x`
   * would copy it too.
   */
  readonly layersDockerfile?: string;
  /** The conda environment.yml with `name:` set to the envforge name; absent without conda. */
  readonly condaSpecification?: string;
  /** requirements.txt as installed (options included, credentials never); with pip layers, the
   * pinned list they were installed from. */
  readonly pipRequirements?: string;
  /** Everything the build context holds, sorted by path. */
  readonly context: readonly ContextEntry[];
  readonly generatedFiles: readonly GeneratedFile[];
  /** Conda layers in Dockerfile order; empty without a conda environment. */
  readonly packageGroups: readonly PackageGroup[];
  /**
   * pip layers in Dockerfile order, installed by envforge from the lock; empty when pip runs in
   * the image instead (no lock, or no conda python to install for).
   */
  readonly pipLayers: readonly PipLayer[];
  /** VCS requirements the build fetches at their locked commits and installs from source. */
  readonly vcsSources: readonly VcsSource[];
  /** Build-context folders the build installs from their files (build-context bases only). */
  readonly localSources: readonly LocalSource[];
  /** Where the pip layers' wheels go; set exactly when `pipLayers` is not empty. */
  readonly pipScheme?: PipScheme;
  /** Secrets the Dockerfile can mount; see `pipNetrcSecret` for the content. */
  readonly buildSecrets: readonly BuildSecret[];
  readonly pythonEnvironment: PythonEnvironment;
  /** Image bases only: the `FROM` reference, pinned by digest when known. */
  readonly baseImage?: string;
  /** The Docker platform of the conda target (`linux-64` → `linux/amd64`), for the build. */
  readonly dockerPlatform: string;
  /**
   * What the Dockerfile's ENV, LABEL and USER lines set, as data: a builder that writes the image
   * config itself (the native builder) sets exactly these.
   */
  readonly imageConfig: RecipeImageConfig;
}

export interface RecipeImageConfig {
  /** `ENV` in order: PATH (with `$PATH` standing for the base's), CONDA_PREFIX, …, the user's. */
  readonly env: readonly (readonly [string, string])[];
  readonly labels: Readonly<Record<string, string>>;
  /** `root` when the Dockerfile switches to it; absent: the base image's user. */
  readonly user?: string;
}
