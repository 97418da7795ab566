/**
 * `envforge.lock`: the Lock as YAML (docs/lock-file.md). Writing is deterministic — fixed key
 * order, platforms and packages sorted — so the same lock is the same bytes on every machine
 * and a diff shows exactly which packages moved.
 */
import { stringify } from "yaml";
import * as z from "zod";
import { ValidationError } from "../errors/index.js";
import { HASH_PATTERN } from "../definition/definition-hash.js";
import { APT_NAME_PATTERN, APT_VERSION_PATTERN, LOCK_VERSION } from "../definition/lock.js";
import { RESOLUTION_HASH_VERSION } from "../definition/resolution-hash.js";
import type { CanonicalResolution } from "../definition/resolution-hash.js";
import type {
  LockContent,
  LockedCondaPackage,
  LockedPipPackage,
  LockedVcsPackage,
  PlatformLock,
} from "../definition/lock.js";
import { parseYamlSource, problemsFromZodIssues } from "../definition/yaml-source.js";

export const LOCK_FILE_NAME = "envforge.lock";

const HEADER =
  "# envforge.lock: the resolved environment, written by `envforge lock`. Do not edit by hand.\n" +
  "# Format: docs/lock-file.md in the envforge repository.\n";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex digits");

const writtenCondaPackage = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  build: z.string(),
  buildNumber: z.number().int().nonnegative(),
  channel: z.string().min(1),
  subdir: z.string().min(1),
  filename: z.string().min(1),
  url: z.string().min(1),
  sha256,
  md5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  size: z.number().int().nonnegative().optional(),
  noarch: z.enum(["python", "generic"]).optional(),
  depends: z.array(z.string()),
  constrains: z.array(z.string()),
});

const writtenPipPackage = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  url: z.string().min(1),
  sha256,
  filename: z.string().min(1).optional(),
});

const writtenPlatform = z.strictObject({
  platform: z.string().min(1),
  virtualPackages: z.array(z.string()),
  conda: z.array(writtenCondaPackage),
  pip: z.array(writtenPipPackage),
  apt: z
    .array(
      z.strictObject({
        name: z.string().regex(APT_NAME_PATTERN, "expected a Debian package name"),
        version: z.string().regex(APT_VERSION_PATTERN, "expected a Debian version"),
      }),
    )
    .optional(),
});

const hash = z.string().regex(HASH_PATTERN, "expected envforge_ and 32 hex digits");
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256: and 64 hex digits");
const lockBody = {
  channels: z.array(z.string()),
  baseImageDigest: digest.optional(),
  baseImages: z
    .array(
      z.strictObject({
        // Written into a FROM line: an image reference, never whitespace or a line break.
        reference: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "expected an image reference"),
        digest,
      }),
    )
    .optional(),
  vcs: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, "expected a project name"),
        requirement: z.string().min(1),
        vcs: z.enum(["git", "hg", "svn", "bzr"]),
        // Handed to git on the build host: a URL, never an option or whitespace.
        url: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, "expected a repository URL"),
        commit: z
          .string()
          .regex(
            /^(?:[0-9a-f]{40}|[0-9a-f]{64}|\d+)$/,
            "expected a full commit id (40 or 64 lower-case hex digits) or a revision number",
          ),
        subdirectory: z.string().min(1).optional(),
      }),
    )
    .optional(),
  platforms: z.array(writtenPlatform),
};

const writtenRequirement = z.strictObject({
  requirement: z.string(),
  hashes: z.array(z.string()),
});

/** definition/resolution-hash.ts's CanonicalResolution, as written under `resolvedFrom`. */
const writtenResolution = z.strictObject({
  resolutionHashVersion: z.literal(RESOLUTION_HASH_VERSION),
  baseImage: z.string().nullable(),
  conda: z
    .strictObject({
      channels: z.array(z.string()),
      dependencies: z.array(z.string()),
      pip: z.strictObject({ requirements: z.array(z.string()), options: z.array(z.string()) }),
    })
    .nullable(),
  pip: z
    .strictObject({
      requirements: z.array(writtenRequirement),
      constraints: z.array(writtenRequirement),
      indexUrl: z.string().nullable(),
      extraIndexUrls: z.array(z.string()),
      findLinks: z.array(z.string()),
      pre: z.boolean(),
    })
    .nullable(),
  apt: z.array(z.string()),
  platform: z.string(),
  virtualPackages: z.record(z.string(), z.string()),
});

/**
 * Version 2 is keyed by the resolution hash and keeps what it was resolved from; version 1
 * (still read) by the definition hash. One object schema, so a wrong version is reported beside
 * every other problem rather than instead of them.
 */
const writtenLock = z
  .strictObject({
    version: z.literal([LOCK_VERSION, 1]),
    resolutionHash: hash.optional(),
    resolvedFrom: writtenResolution.optional(),
    definitionHash: hash.optional(),
    ...lockBody,
  })
  .superRefine((lock, context) => {
    const required = (key: string, present: boolean): void => {
      if (present) return;
      context.addIssue({
        code: "custom",
        path: [key],
        message: `a version ${lock.version} lock needs ${key}`,
      });
    };
    if (lock.version === LOCK_VERSION) {
      required("resolutionHash", lock.resolutionHash !== undefined);
      required("resolvedFrom", lock.resolvedFrom !== undefined);
    } else {
      required("definitionHash", lock.definitionHash !== undefined);
    }
  });

/**
 * The lock as YAML text; byte-identical for equal locks whatever order their lists came in.
 * A lock with a resolution hash is written as version 2 keyed by it alone, so the file stays
 * the same when only variables or metadata of its definition change.
 */
export function formatLockFile(lock: LockContent): string {
  const key =
    lock.resolution !== undefined
      ? {
          version: LOCK_VERSION,
          resolutionHash: lock.resolution.hash,
          resolvedFrom: resolutionDocument(lock.resolution.from),
        }
      : { version: 1, definitionHash: lock.definitionHash };
  const document = {
    ...key,
    channels: [...lock.channels],
    ...(lock.baseImageDigest === undefined ? {} : { baseImageDigest: lock.baseImageDigest }),
    ...(lock.baseImages === undefined
      ? {}
      : { baseImages: lock.baseImages.map((b) => ({ reference: b.reference, digest: b.digest })) }),
    ...(lock.vcs === undefined
      ? {}
      : { vcs: [...lock.vcs].sort((a, b) => compare(a.name, b.name)).map(vcsPackage) }),
    platforms: [...lock.platforms].sort((a, b) => compare(a.platform, b.platform)).map(platform),
  };
  return HEADER + stringify(document, { lineWidth: 0, indent: 2, indentSeq: true });
}

/** Parses lock text; every problem (with line, key, found, allowed) in one ValidationError. */
export function parseLockFile(text: string, file: string = LOCK_FILE_NAME): LockContent {
  const yaml = parseYamlSource({ path: file, text });
  const parsed = writtenLock.safeParse(yaml.value);
  if (!parsed.success) {
    throw new ValidationError(
      problemsFromZodIssues(parsed.error.issues, { yaml, schema: writtenLock }),
    );
  }
  const data = parsed.data;
  return {
    ...(data.version === LOCK_VERSION &&
    data.resolutionHash !== undefined &&
    data.resolvedFrom !== undefined
      ? {
          version: LOCK_VERSION,
          resolution: { hash: data.resolutionHash, from: data.resolvedFrom },
        }
      : {
          version: 1,
          ...(data.definitionHash === undefined ? {} : { definitionHash: data.definitionHash }),
        }),
    channels: data.channels,
    ...(data.baseImageDigest === undefined ? {} : { baseImageDigest: data.baseImageDigest }),
    ...(data.baseImages === undefined ? {} : { baseImages: data.baseImages }),
    ...(data.vcs === undefined ? {} : { vcs: data.vcs.map(vcsPackage) }),
    platforms: data.platforms.map((p) => ({
      platform: p.platform,
      virtualPackages: p.virtualPackages,
      conda: p.conda.map((c) => ({
        name: c.name,
        version: c.version,
        build: c.build,
        buildNumber: c.buildNumber,
        channel: c.channel,
        subdir: c.subdir,
        filename: c.filename,
        url: c.url,
        sha256: c.sha256,
        ...(c.md5 === undefined ? {} : { md5: c.md5 }),
        ...(c.size === undefined ? {} : { size: c.size }),
        depends: c.depends,
        constrains: c.constrains,
        ...(c.noarch === undefined ? {} : { noarch: c.noarch }),
      })),
      pip: p.pip,
      ...(p.apt === undefined ? {} : { apt: p.apt }),
    })),
  };
}

/** Fixed key order, so equal inputs are equal bytes. */
function resolutionDocument(r: CanonicalResolution): Record<string, unknown> {
  return {
    resolutionHashVersion: r.resolutionHashVersion,
    baseImage: r.baseImage,
    conda:
      r.conda === null
        ? null
        : {
            channels: [...r.conda.channels],
            dependencies: [...r.conda.dependencies],
            pip: { requirements: [...r.conda.pip.requirements], options: [...r.conda.pip.options] },
          },
    pip:
      r.pip === null
        ? null
        : {
            requirements: r.pip.requirements.map((q) => ({
              requirement: q.requirement,
              hashes: [...q.hashes],
            })),
            constraints: r.pip.constraints.map((q) => ({
              requirement: q.requirement,
              hashes: [...q.hashes],
            })),
            indexUrl: r.pip.indexUrl,
            extraIndexUrls: [...r.pip.extraIndexUrls],
            findLinks: [...r.pip.findLinks],
            pre: r.pip.pre,
          },
    apt: [...r.apt],
    platform: r.platform,
    virtualPackages: { ...r.virtualPackages },
  };
}

function platform(p: PlatformLock): Record<string, unknown> {
  return {
    platform: p.platform,
    virtualPackages: [...p.virtualPackages].sort(compare),
    conda: [...p.conda]
      .sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir))
      .map(condaPackage),
    pip: [...p.pip].sort((a, b) => compare(a.name, b.name)).map(pipPackage),
    ...(p.apt === undefined
      ? {}
      : {
          apt: [...p.apt]
            .sort((a, b) => compare(a.name, b.name))
            .map((a) => ({ name: a.name, version: a.version })),
        }),
  };
}

/** Key order is the file format: identity first, then where it comes from, then its needs. */
function condaPackage(c: LockedCondaPackage): Record<string, unknown> {
  return {
    name: c.name,
    version: c.version,
    build: c.build,
    buildNumber: c.buildNumber,
    channel: c.channel,
    subdir: c.subdir,
    filename: c.filename,
    url: c.url,
    sha256: c.sha256,
    ...(c.md5 === undefined ? {} : { md5: c.md5 }),
    ...(c.size === undefined ? {} : { size: c.size }),
    ...(c.noarch === undefined ? {} : { noarch: c.noarch }),
    depends: [...c.depends],
    constrains: [...c.constrains],
  };
}

function pipPackage(p: LockedPipPackage): Record<string, unknown> {
  return {
    name: p.name,
    version: p.version,
    url: p.url,
    sha256: p.sha256,
    ...(p.filename === undefined ? {} : { filename: p.filename }),
  };
}

function vcsPackage(v: LockedVcsPackage): LockedVcsPackage {
  return {
    name: v.name,
    requirement: v.requirement,
    vcs: v.vcs,
    url: v.url,
    commit: v.commit,
    ...(v.subdirectory === undefined ? {} : { subdirectory: v.subdirectory }),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
