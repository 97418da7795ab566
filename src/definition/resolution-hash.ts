/**
 * The resolution hash (`envforge_<32 hex>`): what an `envforge.lock` is keyed by. It covers only
 * what changes the answer of resolution — channels, conda specs, pip requirements and options,
 * apt packages, the platform, the virtual packages the target is described by, and the base
 * image the lock pins — so a change of variables, metadata or a Dockerfile's other lines keeps
 * the lock. docs/hashing.md is the normative description.
 */
import { byCodeUnits, canonicalJson } from "./canonical-json.js";
import { canonicalDefinition, HASH_PREFIX, sha256Hex } from "./definition-hash.js";
import type { CanonicalConda, CanonicalPip } from "./definition-hash.js";
import type { Definition } from "./definition.js";

export const RESOLUTION_HASH_VERSION = 1;

/** conda's variables that describe the target's virtual packages (conda/virtual-packages.ts). */
const VIRTUAL_PACKAGE_VARIABLES = /^CONDA_OVERRIDE_[A-Z]+$/;

/** What is hashed (see docs/hashing.md, _Resolution hash_). JSON data only. */
export interface CanonicalResolution {
  readonly resolutionHashVersion: typeof RESOLUTION_HASH_VERSION;
  /** The base image reference of an image definition (its digest is locked); else null. */
  readonly baseImage: string | null;
  readonly conda: Omit<CanonicalConda, "variables"> | null;
  readonly pip: CanonicalPip | null;
  readonly apt: readonly string[];
  readonly platform: string;
  /** `CONDA_OVERRIDE_*` values in effect: the conda file's, then the definition's, which win. */
  readonly virtualPackages: Readonly<Record<string, string>>;
}

export function resolutionHash(definition: Definition): string {
  return resolutionKey(definition).hash;
}

export function canonicalResolution(definition: Definition): CanonicalResolution {
  const canonical = canonicalDefinition(definition);
  // User-managed python resolves nothing with conda, whatever its file says.
  const conda = canonical.python.userManagedDependencies ? null : canonical.conda;
  const overrides: Record<string, string> = {};
  for (const record of [definition.conda?.variables ?? {}, definition.variables]) {
    for (const [key, value] of Object.entries(record)) {
      if (VIRTUAL_PACKAGE_VARIABLES.test(key)) overrides[key] = value;
    }
  }
  return {
    resolutionHashVersion: RESOLUTION_HASH_VERSION,
    baseImage: canonical.base.kind === "image" ? canonical.base.image : null,
    conda:
      conda === null
        ? null
        : { channels: conda.channels, dependencies: conda.dependencies, pip: conda.pip },
    pip: canonical.pip,
    apt: canonical.apt,
    platform: canonical.platform,
    virtualPackages: Object.fromEntries(
      Object.entries(overrides).sort(([a], [b]) => byCodeUnits(a, b)),
    ),
  };
}

/**
 * What changed between the resolution inputs a lock was made from and a definition's, one line
 * each: `conda spec changed: numpy >=1.2 -> numpy >=1.3`, `pip requirement added: rich`,
 * `apt package removed: curl`, `channels changed: defaults -> conda-forge`. Empty when equal.
 */
export function resolutionChanges(
  locked: CanonicalResolution,
  wanted: CanonicalResolution,
): string[] {
  const changes: string[] = [];
  const value = (what: string, a: string, b: string): void => {
    if (a !== b) changes.push(`${what} changed: ${a} -> ${b}`);
  };
  value("base image", locked.baseImage ?? "none", wanted.baseImage ?? "none");
  value("platform", locked.platform, wanted.platform);
  value("channels", list(locked.conda?.channels), list(wanted.conda?.channels));
  changes.push(
    ...listChanges("conda spec", locked.conda?.dependencies, wanted.conda?.dependencies),
    ...listChanges(
      "pip requirement",
      locked.conda?.pip.requirements,
      wanted.conda?.pip.requirements,
    ),
    ...listChanges("pip requirement", requirements(locked.pip), requirements(wanted.pip)),
    ...listChanges("pip constraint", constraints(locked.pip), constraints(wanted.pip)),
  );
  value("pip options", list(locked.conda?.pip.options), list(wanted.conda?.pip.options));
  value("pip index", pipIndexes(locked.pip), pipIndexes(wanted.pip));
  changes.push(...listChanges("apt package", locked.apt, wanted.apt));
  const variables = new Set([
    ...Object.keys(locked.virtualPackages),
    ...Object.keys(wanted.virtualPackages),
  ]);
  for (const key of [...variables].sort(byCodeUnits)) {
    value(key, locked.virtualPackages[key] ?? "unset", wanted.virtualPackages[key] ?? "unset");
  }
  return changes;
}

function list(items: readonly string[] | undefined): string {
  return items === undefined || items.length === 0 ? "none" : items.join(", ");
}

function requirements(pip: CanonicalPip | null): string[] {
  return (pip?.requirements ?? []).map(withHashes);
}

function constraints(pip: CanonicalPip | null): string[] {
  return (pip?.constraints ?? []).map(withHashes);
}

function withHashes(r: {
  readonly requirement: string;
  readonly hashes: readonly string[];
}): string {
  return [r.requirement, ...r.hashes.map((h) => `--hash=${h}`)].join(" ");
}

function pipIndexes(pip: CanonicalPip | null): string {
  if (pip === null) return "none";
  return [
    `index ${pip.indexUrl ?? "default"}`,
    ...pip.extraIndexUrls.map((u) => `extra ${u}`),
    ...pip.findLinks.map((u) => `find-links ${u}`),
    ...(pip.pre ? ["pre"] : []),
  ].join(", ");
}

/** Added, removed and changed entries of two spec lists, paired by the name each starts with. */
function listChanges(
  what: string,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
): string[] {
  const old = byName(before ?? []);
  const now = byName(after ?? []);
  const changes: string[] = [];
  const names = [...new Set([...old.keys(), ...now.keys()])].sort(byCodeUnits);
  for (const name of names) {
    const a = old.get(name) ?? [];
    const b = now.get(name) ?? [];
    if (a.join("\n") === b.join("\n")) continue;
    if (a.length === 0) changes.push(...b.map((s) => `${what} added: ${s}`));
    else if (b.length === 0) changes.push(...a.map((s) => `${what} removed: ${s}`));
    else changes.push(`${what} changed: ${a.join(", ")} -> ${b.join(", ")}`);
  }
  return changes;
}

function byName(specs: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const spec of specs) {
    // The name a conda match spec or PEP 508 requirement starts with (`numpy>=1`, `pkgs/main::x`).
    const name = (/^(?:[^\s:]+::)?([A-Za-z0-9_.-]+)/.exec(spec.trim())?.[1] ?? spec)
      .toLowerCase()
      .replace(/[-_.]+/g, "-");
    map.set(name, [...(map.get(name) ?? []), spec].sort(byCodeUnits));
  }
  return map;
}

/** The key a lock made for this definition carries (`resolution` of definition/lock.ts). */
export function resolutionKey(definition: Definition): {
  readonly hash: string;
  readonly from: CanonicalResolution;
} {
  const from = canonicalResolution(definition);
  return { hash: HASH_PREFIX + sha256Hex(canonicalJson(from)).slice(0, 32), from };
}
