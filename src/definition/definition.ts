/**
 * The one model every definition source parses into (conda environment.yml, pip requirements,
 * base image, Dockerfile, build context, Azure ML v1 folder, Azure ML v2 YAML, envforge.yaml).
 * Readonly, defaults filled. What the user *wrote* is validated by each parser's own zod schema
 * and converted here in one place; nothing else builds a Definition by hand.
 */
import type { Problem } from "../errors/index.js";
import type { VcsReference } from "./vcs-requirement.js";

/** Where a definition came from. Never part of any hash. */
export type DefinitionKind =
  | "conda"
  | "pip"
  | "image"
  | "dockerfile"
  | "build-context"
  | "azureml-v1"
  | "azureml-v2"
  | "envforge";

/** Every kind, for checks of stored and uploaded data. */
export const DEFINITION_KINDS = [
  "conda",
  "pip",
  "image",
  "dockerfile",
  "build-context",
  "azureml-v1",
  "azureml-v2",
  "envforge",
] as const satisfies readonly DefinitionKind[];

/** The kinds that are read from a file or folder (an image is given as a reference). */
export const FILE_DEFINITION_KINDS = DEFINITION_KINDS.filter(
  (kind): kind is Exclude<DefinitionKind, "image"> => kind !== "image",
);

/** A parsed image reference: `[registry/]repository[:tag][@digest]`. */
export interface ImageReference {
  /** Registry host[:port], e.g. `127.0.0.1:5000`; absent for Docker Hub short names. */
  readonly registry?: string;
  /** Repository path without registry, e.g. `library/debian` or `envforge/base`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` */
  readonly digest?: string;
}

/** A text file as the user wrote it, kept for round trips (comments, order) and messages. */
export interface SourceText {
  /** Path as given by the user (for messages); may be relative. */
  readonly path: string;
  readonly text: string;
}

/** A conda environment specification (`environment.yml` / `conda_dependencies.yml`). */
export interface CondaEnvironment {
  readonly name?: string;
  /** In the order written: channel order changes resolution. */
  readonly channels: readonly string[];
  /** Conda match specs as written (trimmed), in the order written. */
  readonly dependencies: readonly string[];
  /** The `pip:` sub-list as written: requirements and `-`-options, in the order written. */
  readonly pip: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
  readonly prefix?: string;
  /** The YAML as written, so CondaDependencies can edit it keeping comments and order. */
  readonly source?: SourceText;
}

/** One pip requirement: a PEP 508 line and the `--hash` values given for it. */
export interface PipRequirement {
  /** Normalised project name (PEP 503: lower case, runs of `-_.` as `-`). */
  readonly name: string;
  /** The PEP 508 requirement text without options, e.g. `numpy>=1.2; python_version>"3.8"`. */
  readonly requirement: string;
  /** `sha256:<hex>` values from `--hash` options, in the order written. */
  readonly hashes: readonly string[];
  /** A VCS requirement (`git+https://…@ref`): the repository and ref; the lock pins a commit. */
  readonly vcs?: VcsReference;
  /**
   * A local folder inside the definition's build context (`-e .`, `./pkg`), installed from the
   * context's files: `path` is relative to the context root (`""` for the root itself).
   */
  readonly local?: { readonly path: string; readonly editable: boolean };
}

/** A pip requirements file (with its `-r` includes flattened) or envforge.yaml's `pip:` list. */
export interface PipRequirements {
  readonly requirements: readonly PipRequirement[];
  /** From `-c` files: constrain versions, never install by themselves. */
  readonly constraints: readonly PipRequirement[];
  readonly indexUrl?: string;
  /** In the order written: order changes resolution. */
  readonly extraIndexUrls: readonly string[];
  readonly findLinks: readonly string[];
  readonly pre: boolean;
  /** Accepted with a warning (`-e git+…`: an image has no working copy to edit). */
  readonly warnings?: readonly Problem[];
}

/** One file of a build context, as listed after `.dockerignore` was applied. */
export interface ContextFile {
  /** POSIX path relative to the context root, never with `..` or a leading `/`. */
  readonly path: string;
  readonly size: number;
  /** `sha256:<hex>` of the content (of the link target text for a symlink). */
  readonly sha256: string;
  /** Unix permission bits, e.g. 0o644 or 0o755. */
  readonly mode: number;
  /** Set for a symlink that stays inside the context: its target as written. */
  readonly linkTarget?: string;
}

export type BaseSpec =
  | {
      readonly kind: "image";
      readonly image: ImageReference;
      /** True when the user gave no image and the configured default was used. */
      readonly defaulted: boolean;
    }
  | {
      readonly kind: "dockerfile";
      /** The Dockerfile content. */
      readonly dockerfile: string;
    }
  | {
      readonly kind: "build";
      /** Folder on the machine that parsed the definition. Not hashed (the files are). */
      readonly contextPath: string;
      /** Dockerfile path relative to the context root (default `Dockerfile`). */
      readonly dockerfilePath: string;
      /** The Dockerfile content, read from the context. */
      readonly dockerfile: string;
      /** Sorted by path. */
      readonly files: readonly ContextFile[];
    };

export interface PythonSettings {
  /** True: no conda env is made; the interpreter at `interpreterPath` is used as it is. */
  readonly userManagedDependencies: boolean;
  readonly interpreterPath: string;
}

export interface Definition {
  readonly kind: DefinitionKind;
  /** Metadata: never part of the definition hash. */
  readonly name?: string;
  readonly version?: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;

  readonly base: BaseSpec;
  /** The conda environment to create; absent when there is none (user-managed, plain image). */
  readonly conda?: CondaEnvironment;
  /** Pip requirements beyond the conda spec's own `pip:` list. */
  readonly pip?: PipRequirements;
  /** Debian/Ubuntu packages installed with apt in the image. */
  readonly apt: readonly string[];
  /** Environment variables set in the image. */
  readonly variables: Readonly<Record<string, string>>;
  /** Conda subdir of the target, e.g. `linux-64`. */
  readonly platform: string;
  readonly python: PythonSettings;
  /**
   * Keys (e.g. `pip.extraIndexUrls[0]`) of the URLs that had credentials when registered. The
   * stored definition holds those URLs without them; the credentials are kept apart by the
   * workspace and given to builds only. Never part of the definition hash.
   */
  readonly credentialsConfigured?: readonly string[];
}

/** Values a parser needs from configuration; passed in so parsing stays pure. */
export interface ParseSettings {
  /** Base image used when a definition names none. */
  readonly defaultBaseImage: string;
  /** Python version added to a conda spec that has none (Azure ML adds its default too). */
  readonly defaultPythonVersion: string;
  /** Default target platform (conda subdir). */
  readonly defaultPlatform: string;
}

export const DEFAULT_PARSE_SETTINGS: ParseSettings = {
  defaultBaseImage: "debian:bookworm-slim",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};
