/**
 * The resolved environment (`envforge.lock`): exactly what a build installs. Made by conda/
 * (solving) and pip/, read by recipe/ (layers) and the installer. Pure data; the YAML form and
 * its reading and writing live in conda/lock-file.ts.
 */
import type { CanonicalResolution } from "./resolution-hash.js";
import type { VcsKind } from "./vcs-requirement.js";

/**
 * 2: the lock is keyed by the resolution hash (definition/resolution-hash.ts). Version 1 locks,
 * keyed by the whole definition hash, are still read.
 */
export const LOCK_VERSION = 2;

export interface LockedCondaPackage {
  readonly name: string;
  readonly version: string;
  readonly build: string;
  readonly buildNumber: number;
  /** Channel as named in the definition (`defaults`, `conda-forge`) or its URL. */
  readonly channel: string;
  /** `linux-64`, `noarch`, ... */
  readonly subdir: string;
  /** File name in the channel, e.g. `zlib-1.2.11-h7b6447c_3.tar.bz2`. */
  readonly filename: string;
  readonly url: string;
  /** 64 lower-case hex digits. */
  readonly sha256: string;
  readonly md5?: string;
  readonly size?: number;
  readonly depends: readonly string[];
  readonly constrains: readonly string[];
  /** `python` for noarch python packages, `generic` for other noarch ones. */
  readonly noarch?: "python" | "generic";
}

export interface LockedPipPackage {
  readonly name: string;
  readonly version: string;
  readonly url: string;
  /** 64 lower-case hex digits. */
  readonly sha256: string;
  /** The wheel's file name (its tags say which interpreters and platforms it is for). */
  readonly filename?: string;
}

/**
 * A VCS requirement (`name @ git+URL@ref`) pinned to the commit its ref named at lock time. It is
 * built from its source at that commit, so it has no wheel URL or sha256: the commit id names
 * the bytes (git checks every object against it).
 */
export interface LockedVcsPackage {
  readonly name: string;
  /**
   * The requirement as the definition writes it (trimmed, URL credentials removed): how a
   * definition's line finds its pin, so a pin missing or left over is told by its line.
   */
  readonly requirement: string;
  readonly vcs: VcsKind;
  /** The repository, without the `vcs+` prefix, the ref or credentials. */
  readonly url: string;
  /** The full commit id (git sha, hg changeset) or revision number the ref named. */
  readonly commit: string;
  /** `#subdirectory=`: where the project's pyproject.toml or setup.py is. */
  readonly subdirectory?: string;
}

/**
 * Debian's rules for a package name and a version (epoch, upstream, revision): what a locked apt
 * entry must match before it is written into a RUN line.
 */
export const APT_NAME_PATTERN = /^[a-z0-9][a-z0-9+.-]+$/;
export const APT_VERSION_PATTERN = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*(?::[A-Za-z0-9.+~-]+)*$/;

/** An apt package at the version the base image's sources gave (what was asked, and its needs). */
export interface LockedAptPackage {
  readonly name: string;
  readonly version: string;
}

export interface PlatformLock {
  /** Conda subdir the packages were solved for, e.g. `linux-64`. */
  readonly platform: string;
  /** Virtual packages the solve assumed for the target (`__glibc=2.36`, ...). */
  readonly virtualPackages: readonly string[];
  /** Sorted by name. */
  readonly conda: readonly LockedCondaPackage[];
  /** Sorted by name. */
  readonly pip: readonly LockedPipPackage[];
  /** Sorted by name; absent when the definition has no apt packages or they are not pinned yet. */
  readonly apt?: readonly LockedAptPackage[];
}

export interface LockKey {
  /** `envforge_<32 hex>` of `from`. */
  readonly hash: string;
  /** The resolution inputs, kept so `lock --check` can say what changed. */
  readonly from: CanonicalResolution;
}

/**
 * A lock as a file holds it: keyed by the resolution hash (version 2) or, in version 1 files, by
 * the definition hash. `bindLock` (conda/lock-file.ts) checks it against a definition.
 */
export interface LockContent {
  readonly version: 1 | typeof LOCK_VERSION;
  /** What the lock was resolved from and its hash (version 2; definition/resolution-hash.ts). */
  readonly resolution?: LockKey;
  /** `envforge_<32 hex>` of the definition (version 1 files; every lock bound to a version). */
  readonly definitionHash?: string;
  /** Channel URLs in priority order, as used for the solve. */
  readonly channels: readonly string[];
  /** Sorted by platform. */
  readonly platforms: readonly PlatformLock[];
  /** The base image's digest when it was known at resolution time (`sha256:<hex>`). */
  readonly baseImageDigest?: string;
  /** The digest of each image a user Dockerfile's `FROM` lines name, in the order they appear. */
  readonly baseImages?: readonly LockedBaseImage[];
  /**
   * VCS requirements pinned to commits, sorted by name; absent when the definition has none (or
   * the lock was made before envforge pinned them). The same for every platform.
   */
  readonly vcs?: readonly LockedVcsPackage[];
}

/** One `FROM` reference of a user Dockerfile, as written, and the digest it is built from. */
export interface LockedBaseImage {
  readonly reference: string;
  /** `sha256:<64 hex>` */
  readonly digest: string;
}

/** A lock bound to the definition it stands for (in a version, a recipe, an image hash). */
export interface Lock extends LockContent {
  /** `envforge_<32 hex>` of the definition this lock is used with. */
  readonly definitionHash: string;
}
