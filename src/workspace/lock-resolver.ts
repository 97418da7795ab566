/**
 * The port registration resolves a lock through. The service does not know about channels or
 * solvers: a composition root injects an adapter (channel-lock-resolver.ts) or none.
 */
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { checkImageReference, formatImageReference } from "../definition/image-reference.js";
import { pinnableFromReferences } from "../recipe/from-lines.js";

/** The parts of a lock, each resolved from its own source. */
export const LOCK_PARTS = ["conda", "pip", "base-image", "apt"] as const;
export type LockPart = (typeof LOCK_PARTS)[number];

/** Why one part of the lock could not be made. */
export interface LockProblem {
  readonly part: LockPart;
  readonly reason: string;
}

/**
 * `locked`: the lock of the definition; `problems` names what it could not pin and did not need
 * to (a base image whose registry did not answer is then used by its tag). `unavailable`: a part
 * that the lock needs could not be resolved (a channel or index not reachable, a requirement that
 * cannot be locked yet), one problem per such part; registration goes on without a lock, unless
 * it requires one. A spec that cannot be solved is not a resolution: the resolver throws a
 * ValidationError.
 */
export type LockResolution =
  | {
      readonly kind: "locked";
      readonly lock: Lock;
      readonly problems?: readonly LockProblem[];
    }
  | { readonly kind: "unavailable"; readonly problems: readonly LockProblem[] };

export type ResolveLock = (
  definition: Definition,
  definitionHash: string,
) => Promise<LockResolution>;

/**
 * What a registration says about the version's lock. `locked`: the version has one;
 * `unlocked`: it needs one and has none (problems say why, per part); `not-needed`: there is
 * no conda environment to lock (a plain image, a Dockerfile, user-managed Python).
 */
export interface RegistrationLock {
  readonly state: "locked" | "unlocked" | "not-needed";
  /** True when this registration gave an existing version the lock it was stored without. */
  readonly filled: boolean;
  readonly problems: readonly LockProblem[];
}

/**
 * Whether a definition without conda still has something a lock pins: a base image by tag (an
 * image definition, or a FROM line of a user Dockerfile), or apt packages.
 */
export function hasPinsToMake(definition: Definition): boolean {
  const { base } = definition;
  if (definition.apt.length > 0) return true;
  // A short Docker Hub name has no registry to ask here (channel-lock-resolver.ts).
  if (base.kind === "image") return base.image.registry !== undefined && !base.image.digest;
  return pinnableFromReferences(base.dockerfile).some((reference) => {
    const parsed = checkImageReference(reference);
    return parsed.ok && parsed.reference.registry !== undefined;
  });
}

/**
 * The bases a build would take by tag because registration could not pin them: the image of an
 * image definition without `baseImageDigest`, and each FROM reference of a user Dockerfile that
 * the lock's `baseImages` lack. Short Docker Hub names are not counted (no registry to ask).
 */
export function unpinnedBases(definition: Definition, lock: Lock | undefined): string[] {
  const { base } = definition;
  if (base.kind === "image") {
    if (base.image.registry === undefined || base.image.digest !== undefined) return [];
    return lock?.baseImageDigest === undefined ? [formatImageReference(base.image)] : [];
  }
  const pinned = new Set((lock?.baseImages ?? []).map((b) => b.reference));
  return pinnableFromReferences(base.dockerfile).filter((reference) => {
    const parsed = checkImageReference(reference);
    return parsed.ok && parsed.reference.registry !== undefined && !pinned.has(reference);
  });
}

/**
 * pip requirements installed with the image's own interpreter (user-managed Python, no conda
 * env, on an image base): resolved for that interpreter as the pinned base image has it.
 */
export function needsImagePipLock(definition: Definition): boolean {
  return (
    definition.python.userManagedDependencies &&
    definition.base.kind === "image" &&
    (definition.pip?.requirements.some((r) => r.vcs === undefined) ?? false)
  );
}

/** Whether the lock lacks the pip distributions of the image's interpreter it needs. */
export function imagePipLeft(definition: Definition, lock: Lock | undefined): boolean {
  const platform = lock?.platforms.find((p) => p.platform === definition.platform);
  return needsImagePipLock(definition) && (platform?.pip.length ?? 0) === 0;
}

/** Whether the lock lacks the apt versions of an image base's apt packages. */
export function aptLeft(definition: Definition, lock: Lock | undefined): boolean {
  const platform = lock?.platforms.find((p) => p.platform === definition.platform);
  return (
    definition.apt.length > 0 && definition.base.kind === "image" && platform?.apt === undefined
  );
}

/**
 * What a build would otherwise take floating because registration could not pin it (an engine,
 * registry or index out of reach then): the unpinned bases, the pip requirements of the image's
 * interpreter, the apt packages of an image base. Empty when the lock pins everything.
 */
export function leftToPinAtBuild(definition: Definition, lock: Lock | undefined): string[] {
  return [
    ...unpinnedBases(definition, lock),
    ...(imagePipLeft(definition, lock)
      ? ["the pip requirements (for the image's interpreter)"]
      : []),
    ...(aptLeft(definition, lock) ? ["the apt packages"] : []),
  ];
}

/**
 * Pins, at the first build, what registration left unpinned (leftToPinAtBuild): the lock to
 * store and build with, or undefined when nothing is left to pin. What cannot be pinned throws,
 * naming it and the source asked (a base and its registry, the interpreter's image, the index):
 * a build never takes a floating tag or version.
 */
export type PinBases = (version: {
  readonly definition: Definition;
  readonly definitionHash: string;
  readonly lock?: Lock;
}) => Promise<Lock | undefined>;

/**
 * apt packages on a base built from a Dockerfile (or a build context) are refused at
 * registration. They are pinned in the image they are installed on, and that image does not
 * exist until the user's Dockerfile is built. Building it at registration would run the user's
 * build steps where versions are stored (on a server, its API process), and those steps are the
 * user's, not pinned by envforge (they may add apt sources, or upgrade what the base has): pins
 * taken from one build of it need not hold for the next build of it on another worker, so the
 * lock would not say what the image holds. Installing them by name instead would float. The
 * Dockerfile, next to the lines that set up its apt sources, is where such packages belong.
 */
export function aptOnBuiltBaseProblem(definition: Definition): Problem | undefined {
  if (definition.apt.length === 0 || definition.base.kind === "image") return undefined;
  return {
    key: "apt",
    message:
      "apt packages are pinned in the image they are installed on, and this base is built from a Dockerfile, so there is none to pin them in before a build (envforge never installs them unpinned)",
    found: [...definition.apt].sort().join(", "),
    allowed:
      "the packages installed by the Dockerfile itself (RUN apt-get install -y NAME=VERSION), or apt with an image base (image:)",
  };
}

/** Whether registering this definition needs a conda lock at all. */
export function needsCondaLock(definition: Definition): boolean {
  return definition.conda !== undefined && !definition.python.userManagedDependencies;
}

/**
 * Whether a version of this definition is incomplete without a lock: a conda env to link, or
 * pip requirements of the image's interpreter that would otherwise be installed floating.
 */
export function needsLock(definition: Definition): boolean {
  return needsCondaLock(definition) || needsImagePipLock(definition);
}

const AGAIN = "and run `envforge env create` again";
const ELSEWHERE =
  "or run `envforge lock FILE` where they are reachable and `envforge env create --lock envforge.lock`";

/** What to do about each part, so the advice fits the part that failed. */
const ADVICE: Readonly<Record<LockPart, string>> = {
  conda:
    "make the channels reachable (ENVFORGE_CHANNEL_URLS name=url, ENVFORGE_CHANNEL_ALIAS, " +
    `ENVFORGE_DEFAULT_CHANNELS, or a URL in the definition) ${AGAIN}, ${ELSEWHERE}`,
  pip:
    "make the pip index reachable (the definition's --index-url, else ENVFORGE_PIP_INDEX_URL) " +
    "and give the host python3 with pip (Debian: python3-pip), which resolves for the target " +
    `${AGAIN}, ${ELSEWHERE}`,
  apt:
    "give envforge a Docker engine it can reach (DOCKER_HOST) and the base image's apt sources " +
    `${AGAIN}, ${ELSEWHERE}`,
  "base-image":
    "push the base image to a registry envforge can reach, or pin it by digest in the definition " +
    `(image@sha256:…), ${AGAIN}`,
};

/** What a build does about a part a locked version left unpinned. */
const UNTIL_PINNED: Readonly<Record<LockPart, string>> = {
  conda: "builds use the package names until it is",
  pip: "builds use the package names until it is",
  apt: "builds use the package names until it is",
  "base-image":
    "the first build pins it and stores the digest, and fails while the registry cannot give it",
};

/** What the user is told about one part of a lock that was not made. */
export function unlockedWarning(problem: LockProblem, locked: boolean): Problem {
  return {
    key: `lock.${problem.part}`,
    message: locked
      ? `not pinned: ${problem.reason}; ${UNTIL_PINNED[problem.part]}: ${ADVICE[problem.part]}`
      : `registered without a lock: ${problem.reason}; \`envforge env build\` will need one: ${ADVICE[problem.part]}`,
  };
}
