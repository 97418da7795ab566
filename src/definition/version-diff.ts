/**
 * What changed between two versions of an environment: the definition (base, channels, conda
 * specs, pip, apt, variables, platform, python) and the lock (conda, pip and apt packages added,
 * removed, or changed in version or build; VCS requirements pinned to another commit; a user
 * Dockerfile's `FROM` images at another digest). Pure: `env diff` and the diff route both call
 * this.
 */
import type { BaseSpec, Definition, ImageReference } from "./definition.js";
import type { Lock } from "./lock.js";
import { matchSpecName } from "./match-spec.js";

export type ChangeKind = "added" | "removed" | "changed";

export type DefinitionPart =
  "base" | "channels" | "conda" | "pip" | "apt" | "variables" | "platform" | "python";

/** One entry of the definition that differs; `key` names it within its part. */
export interface DefinitionChange {
  readonly part: DefinitionPart;
  readonly key: string;
  readonly kind: ChangeKind;
  readonly from?: string;
  readonly to?: string;
}

export interface LockedVersion {
  readonly version: string;
  /** Conda build string; absent for pip distributions. */
  readonly build?: string;
}

/**
 * What locked an entry: a package manager, `vcs` (a VCS requirement's commit, in `version`) or
 * `image` (a user Dockerfile's `FROM`: the reference as `name`, its digest as `version`).
 */
export type LockManager = "conda" | "pip" | "apt" | "vcs" | "image";

/** Platform of lock entries that are the same for every platform (VCS pins, `FROM` images). */
export const ALL_PLATFORMS = "all";

/** One locked entry that differs, per manager and platform. */
export interface LockChange {
  readonly manager: LockManager;
  readonly platform: string;
  readonly name: string;
  readonly kind: ChangeKind;
  readonly from?: LockedVersion;
  readonly to?: LockedVersion;
}

export interface VersionDiff {
  readonly same: boolean;
  readonly definition: readonly DefinitionChange[];
  readonly lock: {
    /** False when either side has no lock: lock changes are then unknown, not none. */
    readonly compared: boolean;
    readonly changes: readonly LockChange[];
    readonly baseImageDigest?: { readonly from?: string; readonly to?: string };
  };
}

export interface DiffSide {
  readonly definition: Definition;
  readonly lock?: Lock;
}

export function diffVersions(from: DiffSide, to: DiffSide): VersionDiff {
  const definition = diffDefinitions(from.definition, to.definition);
  const lock =
    from.lock === undefined || to.lock === undefined
      ? { compared: false, changes: [] }
      : diffLocks(from.lock, to.lock);
  const lockDiffers =
    lock.changes.length > 0 ||
    "baseImageDigest" in lock ||
    (from.lock === undefined) !== (to.lock === undefined);
  return { same: definition.length === 0 && !lockDiffers, definition, lock };
}

export function diffDefinitions(a: Definition, b: Definition): DefinitionChange[] {
  return [
    ...diffValue("base", "base", baseText(a.base), baseText(b.base)),
    ...diffOrdered("channels", a.conda?.channels ?? [], b.conda?.channels ?? []),
    ...diffKeyed(
      "conda",
      byName(a.conda?.dependencies ?? [], condaName),
      byName(b.conda?.dependencies ?? [], condaName),
    ),
    ...diffKeyed("pip", pipOf(a), pipOf(b)),
    ...diffKeyed("apt", byName(a.apt, aptName), byName(b.apt, aptName)),
    ...diffKeyed("variables", variablesOf(a), variablesOf(b)),
    ...diffValue("platform", "platform", a.platform, b.platform),
    ...diffValue("python", "interpreterPath", a.python.interpreterPath, b.python.interpreterPath),
    ...diffValue(
      "python",
      "userManagedDependencies",
      String(a.python.userManagedDependencies),
      String(b.python.userManagedDependencies),
    ),
  ];
}

export function diffLocks(a: Lock, b: Lock): VersionDiff["lock"] {
  const platforms = [...new Set([...a.platforms, ...b.platforms].map((p) => p.platform))].sort();
  const changes: LockChange[] = [];
  const compare = (
    manager: LockManager,
    platform: string,
    before: ReadonlyMap<string, LockedVersion>,
    after: ReadonlyMap<string, LockedVersion>,
  ): void => {
    for (const name of unionSorted(before, after)) {
      const from = before.get(name);
      const to = after.get(name);
      if (sameLocked(from, to)) continue;
      changes.push({
        manager,
        platform,
        name,
        kind: from === undefined ? "added" : to === undefined ? "removed" : "changed",
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
    }
  };
  for (const platform of platforms) {
    const left = a.platforms.find((p) => p.platform === platform);
    const right = b.platforms.find((p) => p.platform === platform);
    for (const manager of ["conda", "pip", "apt"] as const) {
      compare(
        manager,
        platform,
        lockedByName(left?.[manager] ?? []),
        lockedByName(right?.[manager] ?? []),
      );
    }
  }
  const pins = (lock: Lock) =>
    new Map((lock.vcs ?? []).map((pin) => [pin.name, { version: pin.commit }]));
  compare("vcs", ALL_PLATFORMS, pins(a), pins(b));
  const images = (lock: Lock) =>
    new Map((lock.baseImages ?? []).map((image) => [image.reference, { version: image.digest }]));
  compare("image", ALL_PLATFORMS, images(a), images(b));
  const digest =
    a.baseImageDigest === b.baseImageDigest
      ? {}
      : {
          baseImageDigest: {
            ...(a.baseImageDigest === undefined ? {} : { from: a.baseImageDigest }),
            ...(b.baseImageDigest === undefined ? {} : { to: b.baseImageDigest }),
          },
        };
  return { compared: true, changes, ...digest };
}

function diffValue(
  part: DefinitionPart,
  key: string,
  from: string | undefined,
  to: string | undefined,
): DefinitionChange[] {
  if (from === to) return [];
  return [
    {
      part,
      key,
      kind: from === undefined ? "added" : to === undefined ? "removed" : "changed",
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    },
  ];
}

/** Channels: order matters (it changes resolution), so a reordering is one change of the list. */
function diffOrdered(
  part: DefinitionPart,
  from: readonly string[],
  to: readonly string[],
): DefinitionChange[] {
  const a = new Set(from);
  const b = new Set(to);
  const changes = diffKeyed(part, new Map(from.map((c) => [c, c])), new Map(to.map((c) => [c, c])));
  const sameMembers = changes.length === 0 && a.size === b.size;
  if (sameMembers && from.join("\n") !== to.join("\n")) {
    return [{ part, key: "order", kind: "changed", from: from.join(", "), to: to.join(", ") }];
  }
  return changes;
}

function diffKeyed(
  part: DefinitionPart,
  from: ReadonlyMap<string, string>,
  to: ReadonlyMap<string, string>,
): DefinitionChange[] {
  return unionSorted(from, to).flatMap((key) => diffValue(part, key, from.get(key), to.get(key)));
}

function unionSorted(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}

/** Entries keyed by package name; two specs for one name are kept together, sorted. */
function byName(specs: readonly string[], nameOf: (spec: string) => string): Map<string, string> {
  const grouped = new Map<string, string[]>();
  for (const spec of specs) {
    const name = nameOf(spec);
    grouped.set(name, [...(grouped.get(name) ?? []), spec]);
  }
  return new Map([...grouped].map(([name, list]) => [name, [...list].sort().join(", ")]));
}

function condaName(spec: string): string {
  return matchSpecName(spec) ?? spec;
}

/** `curl=7.88.1-10` → `curl`; apt's version and release suffixes are not part of the name. */
function aptName(spec: string): string {
  return spec.split(/[=/]/, 1)[0] ?? spec;
}

/** The conda spec's `pip:` list and the separate requirements, as one map by project name. */
function pipOf(definition: Definition): Map<string, string> {
  const lines = [
    ...(definition.conda?.pip ?? []).filter((line) => !line.startsWith("-")),
    ...(definition.pip?.requirements ?? []).map((r) => r.requirement),
  ];
  const options = [
    ...(definition.conda?.pip ?? []).filter((line) => line.startsWith("-")),
    ...(definition.pip?.indexUrl === undefined ? [] : [`--index-url ${definition.pip.indexUrl}`]),
    ...(definition.pip?.extraIndexUrls ?? []).map((url) => `--extra-index-url ${url}`),
    ...(definition.pip?.pre === true ? ["--pre"] : []),
  ];
  const map = byName(lines, pipName);
  if (options.length > 0) map.set("(options)", options.join(" "));
  return map;
}

/** PEP 503 normalised project name of a requirement line. */
function pipName(line: string): string {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
  return (match?.[1] ?? line).toLowerCase().replace(/[-_.]+/g, "-");
}

/** The image's variables and the conda spec's `variables:` (both end up in the image). */
function variablesOf(definition: Definition): Map<string, string> {
  return new Map(
    Object.entries({ ...(definition.conda?.variables ?? {}), ...definition.variables }),
  );
}

function baseText(base: BaseSpec): string {
  switch (base.kind) {
    case "image":
      return `image ${imageText(base.image)}`;
    case "dockerfile":
      return `Dockerfile:\n${base.dockerfile}`;
    case "build":
      return `build context (${base.dockerfilePath}):\n${base.dockerfile}\n${base.files
        .map((f) => `${f.path} ${f.sha256}`)
        .join("\n")}`;
  }
}

function imageText(image: ImageReference): string {
  const registry = image.registry === undefined ? "" : `${image.registry}/`;
  const tag = image.tag === undefined ? "" : `:${image.tag}`;
  const digest = image.digest === undefined ? "" : `@${image.digest}`;
  return `${registry}${image.repository}${tag}${digest}`;
}

function lockedByName(
  packages: readonly { readonly name: string; readonly version: string; readonly build?: string }[],
): Map<string, LockedVersion> {
  return new Map(
    packages.map((p) => [
      p.name,
      p.build === undefined ? { version: p.version } : { version: p.version, build: p.build },
    ]),
  );
}

function sameLocked(a: LockedVersion | undefined, b: LockedVersion | undefined): boolean {
  return a?.version === b?.version && a?.build === b?.build;
}
