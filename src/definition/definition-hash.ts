/**
 * The definition hash (`envforge_<32 hex>`): sha256 over the canonical JSON of exactly the fields
 * of a Definition that change the image. docs/hashing.md is the normative description; change
 * nothing here without bumping HASH_VERSION and updating that page and its worked example.
 */
import { createHash } from "node:crypto";
import { byCodeUnits, canonicalJson } from "./canonical-json.js";
import type {
  BaseSpec,
  CondaEnvironment,
  Definition,
  PipRequirement,
  PipRequirements,
} from "./definition.js";
import { formatImageReference } from "./image-reference.js";
import { stripUrlCredentials } from "./strip-url-credentials.js";

export const HASH_VERSION = 1;
export const HASH_PREFIX = "envforge_";

/** `envforge_` + 32 lower-case hex digits. */
export const HASH_PATTERN = /^envforge_[0-9a-f]{32}$/;

/** What is hashed, version 1 (see docs/hashing.md). JSON data only; no undefined values. */
export interface CanonicalDefinition {
  readonly hashVersion: typeof HASH_VERSION;
  readonly base: CanonicalBase;
  readonly conda: CanonicalConda | null;
  readonly pip: CanonicalPip | null;
  readonly apt: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
  readonly platform: string;
  readonly python: { readonly userManagedDependencies: boolean; readonly interpreterPath: string };
}

export type CanonicalBase =
  | { readonly kind: "image"; readonly image: string }
  | { readonly kind: "dockerfile"; readonly dockerfile: string }
  | {
      readonly kind: "build";
      readonly dockerfilePath: string;
      readonly dockerfileSha256: string;
      readonly files: readonly CanonicalContextFile[];
    };

export interface CanonicalContextFile {
  readonly path: string;
  readonly sha256: string;
  readonly mode: number;
  /** Only present for symlinks. */
  readonly linkTarget?: string;
}

export interface CanonicalConda {
  readonly channels: readonly string[];
  readonly dependencies: readonly string[];
  readonly pip: { readonly requirements: readonly string[]; readonly options: readonly string[] };
  readonly variables: Readonly<Record<string, string>>;
}

export interface CanonicalPip {
  readonly requirements: readonly CanonicalPipRequirement[];
  readonly constraints: readonly CanonicalPipRequirement[];
  readonly indexUrl: string | null;
  readonly extraIndexUrls: readonly string[];
  readonly findLinks: readonly string[];
  readonly pre: boolean;
}

export interface CanonicalPipRequirement {
  readonly requirement: string;
  readonly hashes: readonly string[];
}

/** `envforge_<first 32 hex of sha256(UTF-8(canonicalJson(canonicalDefinition(d))))>` */
export function definitionHash(definition: Definition): string {
  return HASH_PREFIX + sha256Hex(canonicalJson(canonicalDefinition(definition))).slice(0, 32);
}

/** The document the definition hash is taken over (shown by `envforge hash --json`). */
export function canonicalDefinition(definition: Definition): CanonicalDefinition {
  return {
    hashVersion: HASH_VERSION,
    base: canonicalBase(definition.base),
    conda: definition.conda === undefined ? null : canonicalConda(definition.conda),
    pip: definition.pip === undefined ? null : canonicalPip(definition.pip),
    // `apt-get install a a` installs what `apt-get install a` does, so duplicates are dropped.
    apt: sortedUnique(definition.apt),
    variables: plainRecord(definition.variables),
    platform: definition.platform,
    python: {
      userManagedDependencies: definition.python.userManagedDependencies,
      interpreterPath: definition.python.interpreterPath,
    },
  };
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Removes credentials from every URL in `text`: `user:password@` after a scheme, and the
 * hosted-channel style `/t/<token>/` path segment (conda strips it the same way). Credentials
 * choose who may read an index, not what it serves, so they never change the image.
 */
export { stripUrlCredentials };

function canonicalBase(base: BaseSpec): CanonicalBase {
  switch (base.kind) {
    case "image":
      return { kind: "image", image: formatImageReference(base.image) };
    case "dockerfile":
      return { kind: "dockerfile", dockerfile: base.dockerfile };
    case "build":
      return {
        kind: "build",
        dockerfilePath: base.dockerfilePath,
        // Docker sends the Dockerfile even when .dockerignore excludes it from the listing.
        dockerfileSha256: `sha256:${sha256Hex(base.dockerfile)}`,
        files: [...base.files]
          .sort((a, b) => byCodeUnits(a.path, b.path))
          .map((file) => ({
            path: file.path,
            sha256: file.sha256,
            mode: file.mode,
            ...(file.linkTarget === undefined ? {} : { linkTarget: file.linkTarget }),
          })),
      };
  }
}

function canonicalConda(conda: CondaEnvironment): CanonicalConda {
  // In a `pip:` sub-list, `-`-lines are options (`--index-url`, `-e`, ...) whose order matters.
  const options = conda.pip.filter((line) => line.startsWith("-"));
  const requirements = conda.pip.filter((line) => !line.startsWith("-"));
  return {
    channels: conda.channels.map(stripUrlCredentials),
    // A match spec or a requirement may be a URL too (`pkg @ https://…`).
    dependencies: sorted(conda.dependencies.map(stripUrlCredentials)),
    pip: {
      requirements: sorted(requirements.map(stripUrlCredentials)),
      options: options.map(stripUrlCredentials),
    },
    variables: plainRecord(conda.variables),
  };
}

function canonicalPip(pip: PipRequirements): CanonicalPip {
  return {
    requirements: canonicalRequirements(pip.requirements),
    constraints: canonicalRequirements(pip.constraints),
    indexUrl: pip.indexUrl === undefined ? null : stripUrlCredentials(pip.indexUrl),
    extraIndexUrls: pip.extraIndexUrls.map(stripUrlCredentials),
    findLinks: pip.findLinks.map(stripUrlCredentials),
    pre: pip.pre,
  };
}

function canonicalRequirements(list: readonly PipRequirement[]): CanonicalPipRequirement[] {
  return list
    .map((r) => ({ requirement: stripUrlCredentials(r.requirement), hashes: sorted(r.hashes) }))
    .sort(
      (a, b) =>
        byCodeUnits(a.requirement, b.requirement) ||
        byCodeUnits(a.hashes.join(","), b.hashes.join(",")),
    );
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort(byCodeUnits);
}

function sortedUnique(list: readonly string[]): string[] {
  return sorted([...new Set(list)]);
}

/** A copy with a plain prototype, so canonicalJson accepts records made any way. */
function plainRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record));
}
