/**
 * The lock resolver the composition roots inject into the service: the configured channels
 * (host/config.ts: ENVFORGE_CHANNEL_URLS, ENVFORGE_CHANNEL_ALIAS, ENVFORGE_DEFAULT_CHANNELS, with
 * conda's defaults), repodata cached under $ENVFORGE_HOME/cache/repodata, and one rattler solver
 * kept for the resolver's life (a server pays the WASM load once), pip requirements resolved by
 * pip for the conda lock's python and platform (pip/lock-pip.ts; ENVFORGE_PIP_INDEX_URL when the
 * definition names none), and the
 * base image's digest. Each part is resolved on its own, so every reason is told at once:
 * channels that are not reachable or local folders (a registration carries files, not the
 * user's disk), or pip requirements that cannot be locked, make the resolution `unavailable`;
 * an unsolvable spec stays a ValidationError.
 */
import type { ChannelConfig } from "../conda/channels.js";
import { resolveChannels } from "../conda/channels.js";
import { lockDefinition } from "../conda/lock-definition.js";
import { RepodataMemory } from "../conda/repodata-cache.js";
import { workerRattlerSolver } from "../conda/rattler-solver.js";
import type { RattlerSolver } from "../conda/rattler-solver.js";
import { ExternalError, ValidationError } from "../errors/index.js";
import type { Registry } from "../image/index.js";
import { lockPip, pipWithoutTarget } from "../pip/lock-pip.js";
import type { InterpreterFacts, PipTarget } from "../pip/pip-target.js";
import { requireInterpreterTarget } from "../pip/pip-target.js";
import type { Definition } from "../definition/definition.js";
import type { Lock, LockedAptPackage, LockedBaseImage } from "../definition/lock.js";
import { checkImageReference, formatImageReference } from "../definition/image-reference.js";
import { pinnableFromReferences } from "../recipe/from-lines.js";
import {
  aptLeft,
  imagePipLeft,
  leftToPinAtBuild,
  needsCondaLock,
  needsImagePipLock,
  unpinnedBases,
} from "./lock-resolver.js";
import type { LockProblem, LockResolution, PinBases, ResolveLock } from "./lock-resolver.js";
import { homeCacheDir } from "../host/home-caches.js";

/** What locking needs of the configuration (host/config.ts's EnvforgeConfig has these). */
export interface LockSettings {
  /** `$ENVFORGE_HOME`: repodata is cached under it. */
  readonly home: string;
  /** How channel names become URLs. */
  readonly channels: ChannelConfig;
  /** pip's index when a definition names none. */
  readonly pipIndexUrl: string;
}

export interface ChannelLockResolverOptions {
  /** From the surface's configuration; the composition root reads it, not this module. */
  readonly settings: LockSettings;
  /** Where base images' digests are asked (with the user's registry credentials). */
  readonly registry: Registry;
  /** Per repodata request; default 30 s, so a registration never hangs on a dead channel. */
  readonly timeoutMs?: number;
  /** Keep parsed repodata between registrations (a server). */
  readonly keepRepodata?: boolean;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Resolves apt packages in a base image (jobs/apt-resolve.ts on the surface's engine); without
   * it a definition's apt packages stay unpinned, and the problem says so.
   */
  readonly resolveApt?: (request: {
    readonly image: string;
    readonly packages: readonly string[];
  }) => Promise<readonly LockedAptPackage[]>;
  /**
   * Reads the image's own interpreter (jobs/python-probe.ts on the surface's engine), for pip
   * requirements of user-managed Python; without it they stay unlocked, and the problem says so.
   */
  readonly probePython?: (request: {
    readonly image: string;
    readonly interpreterPath: string;
  }) => Promise<InterpreterFacts>;
}

export interface ChannelLockResolver {
  readonly resolveLock: ResolveLock;
  /** Pins at a build the bases registration could not (lock-resolver.ts, PinBases). */
  readonly pinBases: PinBases;
  /** Ends the solver's worker thread; resolving after this starts none. */
  close(): Promise<void>;
}

export function channelLockResolver(options: ChannelLockResolverOptions): ChannelLockResolver {
  const { settings, registry } = options;
  const channelConfig = settings.channels;
  const cacheDir = homeCacheDir(settings.home, "repodata");
  const memory = options.keepRepodata === true ? new RepodataMemory() : undefined;
  let solver: RattlerSolver | undefined;
  let closed = false;

  const condaLock = async (definition: Definition): Promise<Lock | LockProblem> => {
    const channels = definition.conda?.channels ?? [];
    try {
      // Relative local channel paths have no folder to be relative to here: a neutral root.
      const resolved = resolveChannels({ channels, config: channelConfig, baseDir: "/" });
      const local = resolved.filter((channel) => channel.localPath !== undefined);
      if (local.length > 0) {
        return condaProblem(
          `local channel folders are not read at registration (${local.map((c) => c.name).join(", ")})`,
        );
      }
    } catch (error) {
      if (error instanceof ValidationError) {
        return condaProblem(error.problems.map((problem) => problem.message).join("; "));
      }
      throw error;
    }
    if (closed) return condaProblem("the lock resolver was closed");
    solver ??= workerRattlerSolver();
    try {
      return await lockDefinition({
        definition,
        channelConfig,
        baseDir: "/",
        cacheDir,
        solver,
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(memory === undefined ? {} : { memory }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
    } catch (error) {
      if (error instanceof ExternalError) return condaProblem(error.message);
      throw error;
    }
  };

  const resolveLock = async (definition: Definition): Promise<LockResolution> => {
    // Independent sources, asked together: one answer names every part that failed. pip
    // resolves for the python version and platform the conda lock gives, so it comes after it.
    const [conda, base, froms] = await Promise.all([
      condaLock(definition),
      pinnedBase(definition, registry),
      pinnedFroms(definition, registry),
    ]);
    const pipOptions = {
      definition,
      defaultIndexUrl: settings.pipIndexUrl,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    };
    const imageTarget = needsImagePipLock(definition)
      ? await interpreterTarget(definition, typeof base === "string" ? base : undefined)
      : undefined;
    const pip =
      imageTarget !== undefined && "part" in imageTarget
        ? { kind: "unavailable" as const, reason: imageTarget.reason }
        : "part" in conda
          ? await pipWithoutTarget(pipOptions)
          : await lockPip({
              ...pipOptions,
              lock: conda,
              ...(imageTarget === undefined ? {} : { target: imageTarget }),
            });
    const problems: LockProblem[] = [];
    if ("part" in conda) problems.push(conda);
    if (pip?.kind === "unavailable") problems.push({ part: "pip", reason: pip.reason });
    if ("part" in conda || pip?.kind !== "locked") return { kind: "unavailable", problems };
    const baseProblems: LockProblem[] =
      typeof base === "string" || base === undefined ? [] : [base];
    baseProblems.push(...froms.problems);
    const baseImageDigest = typeof base === "string" ? base : undefined;
    const apt = await pinnedApt(definition, baseImageDigest, options.resolveApt);
    if (apt !== undefined && "part" in apt) baseProblems.push(apt);
    const platforms =
      apt === undefined || "part" in apt
        ? pip.lock.platforms
        : pip.lock.platforms.map((p) =>
            p.platform === definition.platform ? { ...p, apt: [...apt] } : p,
          );
    return {
      kind: "locked",
      lock: {
        ...pip.lock,
        platforms,
        ...(baseImageDigest === undefined ? {} : { baseImageDigest }),
        ...(froms.pinned.length === 0 ? {} : { baseImages: froms.pinned }),
      },
      ...(baseProblems.length === 0 ? {} : { problems: baseProblems }),
    };
  };

  /**
   * pip's target for the image's own interpreter, read in the base image by digest. Why it cannot
   * be read now (no engine, an unpinned base) is a pip problem; an image without that Python 3,
   * or one pip content cannot be resolved for, is a ValidationError.
   */
  const interpreterTarget = async (
    definition: Definition,
    digest: string | undefined,
  ): Promise<PipTarget | LockProblem> => {
    const { base } = definition;
    if (base.kind !== "image") {
      return { part: "pip", reason: "the image's interpreter is read in an image base only" };
    }
    const pinned = base.image.digest ?? digest;
    // A short Docker Hub name has no registry to ask here and is used by its tag (pinnedBase).
    if (pinned === undefined && base.image.registry !== undefined) {
      return {
        part: "pip",
        reason: `the base image ${formatImageReference(base.image)} is not pinned, so its interpreter cannot be read`,
      };
    }
    const image = formatImageReference(
      pinned === undefined ? base.image : { ...base.image, digest: pinned },
    );
    if (options.probePython === undefined) {
      return { part: "pip", reason: "this workspace reads no image's interpreter at registration" };
    }
    const { interpreterPath } = definition.python;
    let facts: InterpreterFacts;
    try {
      facts = await options.probePython({ image, interpreterPath });
    } catch (error) {
      if (error instanceof ExternalError) {
        return {
          part: "pip",
          reason: `the interpreter ${interpreterPath} of ${image} could not be read: ${error.message}`,
        };
      }
      throw error;
    }
    return requireInterpreterTarget(facts, {
      platform: definition.platform,
      interpreterPath,
      image,
    });
  };

  const pinBases: PinBases = async ({ definition, lock }) => {
    if (leftToPinAtBuild(definition, lock).length === 0) return undefined;
    const missing = unpinnedBases(definition, lock);
    // A conda definition without its lock has nothing to add the pins to: its build needs the
    // lock first (`envforge env build` says so).
    if (lock === undefined && needsCondaLock(definition)) return undefined;
    let into = lock;
    if (into === undefined) {
      const made = await condaLock(definition);
      if ("part" in made) throw new ExternalError(made.reason);
      into = made;
    }
    const digests = new Map<string, string>();
    for (const reference of missing) {
      digests.set(reference, await digestForBuild(registry, reference));
    }
    const { base } = definition;
    if (base.kind !== "image") {
      // In the order the FROM lines name them, those pinned at registration kept as they were.
      const known = new Map((into.baseImages ?? []).map((b) => [b.reference, b.digest]));
      for (const [reference, digest] of digests) known.set(reference, digest);
      const baseImages = pinnableFromReferences(base.dockerfile)
        .filter((reference, index, all) => known.has(reference) && all.indexOf(reference) === index)
        .map((reference) => ({ reference, digest: known.get(reference) ?? "" }));
      return { ...into, baseImages };
    }
    const digest = digests.get(missing[0] ?? "");
    const pinned = digest === undefined ? into : { ...into, baseImageDigest: digest };
    return fillImageParts(definition, pinned);
  };

  /**
   * The parts of an image base registration could not resolve for want of an engine: the pip
   * requirements of the image's interpreter and the apt packages, resolved in the pinned base
   * now. What still cannot be resolved fails the build, naming it: neither is installed floating.
   */
  const fillImageParts = async (definition: Definition, lock: Lock): Promise<Lock> => {
    const refusal = (what: string, why: string): ExternalError =>
      new ExternalError(
        `${what} of this version were not locked at registration and cannot be locked now: ${why}; ` +
          "a build never installs them floating",
      );
    let filled = lock;
    if (imagePipLeft(definition, filled)) {
      const target = await interpreterTarget(definition, filled.baseImageDigest);
      if ("part" in target) throw refusal("the pip requirements", target.reason);
      const pip = await lockPip({
        definition,
        defaultIndexUrl: settings.pipIndexUrl,
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        lock: filled,
        target,
      });
      if (pip.kind !== "locked") throw refusal("the pip requirements", pip.reason);
      filled = pip.lock;
    }
    if (aptLeft(definition, filled)) {
      const apt = await pinnedApt(definition, filled.baseImageDigest, options.resolveApt);
      if (apt !== undefined && "part" in apt) throw refusal("the apt packages", apt.reason);
      if (apt !== undefined) {
        filled = {
          ...filled,
          platforms: filled.platforms.map((p) =>
            p.platform === definition.platform ? { ...p, apt: [...apt] } : p,
          ),
        };
      }
    }
    return filled;
  };

  return {
    resolveLock,
    pinBases,
    async close() {
      closed = true;
      const running = solver;
      solver = undefined;
      await running?.close();
    },
  };
}

function condaProblem(reason: string): LockProblem {
  return { part: "conda", reason };
}

/**
 * The digest of every image a user Dockerfile's FROM lines name (recipe/from-lines.ts), so the
 * recipe builds `FROM image@sha256:…`. One that cannot be asked is a base-image problem: the
 * version is marked unpinned with the reason, and that line keeps its tag.
 */
async function pinnedFroms(
  definition: Definition,
  registry: Registry,
): Promise<{ readonly pinned: LockedBaseImage[]; readonly problems: LockProblem[] }> {
  const { base } = definition;
  if (base.kind === "image") return { pinned: [], problems: [] };
  const pinned: LockedBaseImage[] = [];
  const problems: LockProblem[] = [];
  for (const reference of pinnableFromReferences(base.dockerfile)) {
    const parsed = checkImageReference(reference);
    if (!parsed.ok) continue;
    // A short Docker Hub name has no registry to ask here, as for an image definition.
    if (parsed.reference.registry === undefined) continue;
    try {
      const status = await registry.manifestExists(parsed.reference);
      if (status.exists && status.digest !== undefined) {
        pinned.push({ reference, digest: status.digest });
      } else
        problems.push({ part: "base-image", reason: `FROM ${reference} is not in its registry` });
    } catch (error) {
      if (!(error instanceof ExternalError)) throw error;
      problems.push({ part: "base-image", reason: `FROM ${reference}: ${error.message}` });
    }
  }
  return { pinned, problems };
}

/**
 * The apt packages and what they pull in, at the versions the (pinned) base image's sources
 * give. A package the sources lack is a ValidationError (the registration is refused); an
 * engine or sources out of reach leave apt unpinned, with the reason.
 */
async function pinnedApt(
  definition: Definition,
  baseDigest: string | undefined,
  resolveApt: ChannelLockResolverOptions["resolveApt"],
): Promise<readonly LockedAptPackage[] | LockProblem | undefined> {
  if (definition.apt.length === 0) return undefined;
  const { base } = definition;
  if (base.kind !== "image") {
    return {
      part: "apt",
      reason: "the base is built from a Dockerfile, so apt is resolved at build",
    };
  }
  if (resolveApt === undefined) {
    return { part: "apt", reason: "this workspace resolves no apt packages at registration" };
  }
  const digest = base.image.digest ?? baseDigest;
  const image = formatImageReference(digest === undefined ? base.image : { ...base.image, digest });
  try {
    return await resolveApt({ image, packages: definition.apt });
  } catch (error) {
    if (error instanceof ExternalError) return { part: "apt", reason: error.message };
    throw error;
  }
}

/**
 * The base image's digest, so the lock (and with it the image hash) names the exact base and a
 * build pins `FROM …@sha256:`: a tag that moves later gives a new image, never a stale cache hit.
 * Best effort: an image on a registry envforge cannot reach, or that its registry does not have,
 * stays unpinned (the problem says why), as the base of a Dockerfile always is; a short Docker
 * Hub name has no registry to ask here and is used by its tag without a problem.
 */
async function pinnedBase(
  definition: Definition,
  registry: Registry,
): Promise<string | LockProblem | undefined> {
  const { base } = definition;
  if (base.kind !== "image" || base.image.registry === undefined) return undefined;
  if (base.image.digest !== undefined) return base.image.digest;
  const shown = `${base.image.registry}/${base.image.repository}:${base.image.tag ?? "latest"}`;
  try {
    const status = await registry.manifestExists(base.image);
    if (status.exists) return status.digest;
    return { part: "base-image", reason: `base image ${shown} is not in its registry` };
  } catch (error) {
    if (error instanceof ExternalError) {
      return { part: "base-image", reason: `base image ${shown}: ${error.message}` };
    }
    throw error;
  }
}

/**
 * The digest a build pins a base to that registration left unpinned. No answer is an
 * ExternalError naming the base and its registry: the build fails rather than take the tag.
 */
async function digestForBuild(registry: Registry, reference: string): Promise<string> {
  const parsed = checkImageReference(reference);
  const host = parsed.ok ? (parsed.reference.registry ?? "its registry") : "its registry";
  const refusal = (why: string): ExternalError =>
    new ExternalError(
      `base image ${reference} was not pinned at registration and cannot be pinned now: ${why}; ` +
        `a build never uses a base by its tag: make sure the registry ${host} is reachable and ` +
        "has it, or pin the base by digest in the definition (image@sha256:…)",
    );
  if (!parsed.ok) throw refusal("it is not an image reference");
  let status;
  try {
    status = await registry.manifestExists(parsed.reference);
  } catch (error) {
    if (error instanceof ExternalError) throw refusal(`registry ${host}: ${error.message}`);
    throw error;
  }
  if (status.exists && status.digest !== undefined) return status.digest;
  throw refusal(`registry ${host} does not have it`);
}
