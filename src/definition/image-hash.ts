/**
 * The image hash: what names an image and is the unit of "build once". It covers the definition
 * hash and the lock, so the same definition resolved twice to different packages gets two images,
 * and the same lock always gets the same one. docs/hashing.md is the normative description.
 */
import { InternalError, ValidationError } from "../errors/index.js";
import { byCodeUnits, canonicalJson } from "./canonical-json.js";
import {
  HASH_PATTERN,
  HASH_PREFIX,
  HASH_VERSION,
  sha256Hex,
  stripUrlCredentials,
} from "./definition-hash.js";
import type { LockedCondaPackage, LockedPipPackage, Lock, PlatformLock } from "./lock.js";

/** Where conda environments live inside envforge images. */
/**
 * Where the conda environment lives in every image. One fixed path, not one per hash: conda
 * writes its prefix into files, so a prefix that moved with each definition would change every
 * package's layer whenever one package changed, and no layer could be reused across versions.
 * The environment's identity is in the image's labels and name, not in this path.
 */
export const IMAGE_CONDA_PREFIX = "/opt/envforge/env";
/** Repository path under the registry that every envforge image uses. */
export const IMAGE_NAMESPACE = "envforge";
/** The image label that carries the image hash (the local engine's cache check reads it). */
export const IMAGE_HASH_LABEL = "dev.envforge.image-hash";

/**
 * `envforge_<first 32 hex of sha256(canonicalJson({hashVersion, definitionHash, lock}))>`.
 * Without a lock `lock` is `null`: a definition that was never resolved cannot claim an exact
 * image (its packages float until the build picks them), so its image hash only says "built
 * from this definition, unresolved" and never equals the hash of any resolved image.
 */
export function imageHash(definitionHash: string, lock?: Lock): string {
  checkHash(definitionHash, "definition hash");
  if (lock !== undefined && lock.definitionHash !== definitionHash) {
    throw ValidationError.single({
      key: "lock.definitionHash",
      message: "the lock was resolved from another definition",
      found: lock.definitionHash,
      allowed: definitionHash,
    });
  }
  return (
    HASH_PREFIX +
    sha256Hex(canonicalJson(canonicalImageDocument(definitionHash, lock))).slice(0, 32)
  );
}

/** The document the image hash is taken over (for `envforge hash --json` and docs/hashing.md). */
export function canonicalImageDocument(definitionHash: string, lock?: Lock): unknown {
  return {
    hashVersion: HASH_VERSION,
    definitionHash,
    lock: lock === undefined ? null : canonicalLock(lock),
  };
}

/**
 * The lock as hashed: every field, lists sorted, credentials stripped from URLs, absent
 * optional fields left out. `definitionHash` is left out (it is hashed beside the lock).
 */
export function canonicalLock(lock: Lock): unknown {
  return {
    version: lock.version,
    channels: lock.channels.map(stripUrlCredentials),
    platforms: [...lock.platforms]
      .sort((a, b) => byCodeUnits(a.platform, b.platform))
      .map(canonicalPlatform),
    baseImageDigest: lock.baseImageDigest ?? null,
    // Left out when absent, so locks made before FROM lines were pinned keep their image hash.
    ...(lock.baseImages === undefined
      ? {}
      : { baseImages: lock.baseImages.map((b) => ({ reference: b.reference, digest: b.digest })) }),
    // Left out when absent, so locks made before VCS requirements were pinned keep their hash.
    ...(lock.vcs === undefined
      ? {}
      : {
          vcs: [...lock.vcs]
            .sort((a, b) => byCodeUnits(a.name, b.name))
            .map((v) => ({
              name: v.name,
              requirement: stripUrlCredentials(v.requirement),
              vcs: v.vcs,
              url: stripUrlCredentials(v.url),
              commit: v.commit,
              ...(v.subdirectory === undefined ? {} : { subdirectory: v.subdirectory }),
            })),
        }),
  };
}

function canonicalPlatform(platform: PlatformLock): unknown {
  return {
    platform: platform.platform,
    virtualPackages: [...platform.virtualPackages].sort(byCodeUnits),
    conda: [...platform.conda]
      .sort(
        (a, b) =>
          byCodeUnits(a.name, b.name) ||
          byCodeUnits(a.subdir, b.subdir) ||
          byCodeUnits(a.filename, b.filename),
      )
      .map(canonicalCondaPackage),
    pip: [...platform.pip]
      .sort((a, b) => byCodeUnits(a.name, b.name) || byCodeUnits(a.version, b.version))
      .map(canonicalPipPackage),
    // Left out when absent, so locks made before apt was pinned keep their image hash.
    ...(platform.apt === undefined
      ? {}
      : {
          apt: [...platform.apt]
            .sort((a, b) => byCodeUnits(a.name, b.name))
            .map((a) => ({ name: a.name, version: a.version })),
        }),
  };
}

function canonicalCondaPackage(p: LockedCondaPackage): unknown {
  return {
    name: p.name,
    version: p.version,
    build: p.build,
    buildNumber: p.buildNumber,
    channel: stripUrlCredentials(p.channel),
    subdir: p.subdir,
    filename: p.filename,
    url: stripUrlCredentials(p.url),
    sha256: p.sha256,
    ...(p.md5 === undefined ? {} : { md5: p.md5 }),
    ...(p.size === undefined ? {} : { size: p.size }),
    depends: p.depends,
    constrains: p.constrains,
    ...(p.noarch === undefined ? {} : { noarch: p.noarch }),
  };
}

function canonicalPipPackage(p: LockedPipPackage): unknown {
  return { name: p.name, version: p.version, url: stripUrlCredentials(p.url), sha256: p.sha256 };
}

/**
 * The image's repository: `<registry>/envforge_<32 hex>`, where `registry` is the repository
 * prefix images are pushed under (`ENVFORGE_REGISTRY`, e.g. `127.0.0.1:5000/envforge`), or
 * `envforge/envforge_<32 hex>` on a local engine without a registry (tagged `latest` there and
 * never pushed). Builder, build records and image details all name images through this one
 * function.
 */
export function imageName(options: {
  readonly registry?: string;
  readonly imageHash: string;
}): string {
  checkHash(options.imageHash, "image hash");
  const prefix = options.registry?.replace(/\/+$/, "") ?? "";
  return prefix === ""
    ? `${IMAGE_NAMESPACE}/${options.imageHash}`
    : `${prefix}/${options.imageHash}`;
}

/** The registry host of a repository prefix: `127.0.0.1:5000` of `127.0.0.1:5000/envforge`. */
export function registryHostOf(registry: string): string {
  return registry.split("/")[0] ?? registry;
}

function checkHash(hash: string, what: string): void {
  // Callers pass hashes envforge computed; anything else is a bug, not user input.
  if (!HASH_PATTERN.test(hash)) {
    throw new InternalError(`${what} ${JSON.stringify(hash)} is not of the form envforge_<32 hex>`);
  }
}
