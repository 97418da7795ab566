/**
 * Registration, the versioning rules of ARCHITECTURE.md in one place:
 * - the same definition hash as `latest` returns `latest` (no new version);
 * - a changed definition gets the highest version + 1;
 * - an explicit version (given, or the definition's own `version:`) that exists with the same
 *   hash is returned, with another hash it is a conflict; one that does not exist is created;
 * - in an archived environment new versions are created archived (as Azure ML does), and the
 *   newest version, archived or not, is the one compared against.
 * - a conda definition registered without a lock gets one from the injected resolver; the lock
 *   is derived from the definition hash, so it never makes a new version: a version stored
 *   without one is given it, and one that has one is returned as it is (no solve at all).
 *   A part that cannot be locked (channels or a pip index out of reach, ...) leaves the version
 *   without a lock, with a warning per part, and registering it again retries; with
 *   `requireLock` that registration is refused instead. A spec that cannot be solved fails
 *   before anything is written.
 * Everything is checked before the transaction; the transaction holds the environment's lock
 * from the first read to the insert, so concurrent registrations cannot pick one number twice.
 */
import { ConflictError, InternalError, ValidationError } from "../errors/index.js";
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import type { Lock, LockContent } from "../definition/lock.js";
import { lockKeyProblems } from "../definition/lock-binding.js";
import { isoNow } from "./clock.js";
import type { ContextContent } from "./context-content.js";
import { planContextContent, storeContextContent } from "./context-content.js";
import {
  aptOnBuiltBaseProblem,
  hasPinsToMake,
  needsCondaLock,
  needsLock,
  unlockedWarning,
} from "./lock-resolver.js";
import type { LockProblem, LockResolution, RegistrationLock } from "./lock-resolver.js";
import type { EnvironmentVersion } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { StoreTx, VersionHead, VersionRecord } from "./store.js";
import { decodeLock, encodeJson } from "./stored-values.js";
import type { PreparedDefinition } from "./prepare-registration.js";
import { prepareDefinition } from "./prepare-registration.js";
import {
  checkDescription,
  checkEnvironmentName,
  checkTags,
  checkVersionNumber,
  MAX_VERSION,
} from "./validation.js";
import type { LabelContext } from "./version-view.js";
import { versionView, viewWithLabels } from "./version-view.js";

export interface RegisterEnvironmentInput {
  /** Default: the `default` workspace. */
  readonly workspace?: string;
  readonly name: string;
  /** Parsed by definition/ or host/; the service does not read files. */
  readonly definition: Definition;
  /**
   * Ask for this version number. Default: the definition's own `version:` (as Azure ML's
   * register does); without either, the next number is chosen.
   */
  readonly version?: number;
  /** Default: the definition's own description. */
  readonly description?: string;
  /** Default: the definition's own tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The resolved lock, when resolution ran; must have been resolved from what this definition
   * asks for (a lock whose definition changed only in variables or metadata still is).
   */
  readonly lock?: LockContent;
  /** The files the definition was read from (path → text), kept for display. */
  readonly sourceFiles?: Readonly<Record<string, string>>;
  /** Refuse (ValidationError, nothing written) rather than store a version without its lock. */
  readonly requireLock?: boolean;
  /**
   * A build context's file bytes by `sha256:<hex>`, checked against the definition's listing and
   * stored with the version. Files left out must be stored in the workspace already.
   */
  readonly contextContent?: ContextContent;
  /**
   * `prepareDefinition(definition, sourceFiles)`, made elsewhere (a server makes it on a worker
   * thread, off its event loop); it must be of this very definition. Default: made here.
   */
  readonly prepared?: PreparedDefinition;
}

export interface RegisterResult {
  readonly version: EnvironmentVersion;
  /** False when an existing version with this definition was returned. */
  readonly created: boolean;
  /** Whether the version has its lock, and per part why not. */
  readonly lock: RegistrationLock;
  /** The lock problems as the user is told them, one per part, with what to do about each. */
  readonly warnings?: readonly Problem[];
}

export async function registerEnvironment(
  context: ServiceContext,
  input: RegisterEnvironmentInput,
): Promise<RegisterResult> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkEnvironmentName(problems, input.name);
  const requested = input.version ?? versionFromDefinition(input.definition);
  if (requested !== undefined) checkVersionNumber(problems, requested);
  const description = input.description ?? input.definition.description;
  checkDescription(problems, description);
  const tags = input.tags ?? input.definition.tags;
  checkTags(problems, tags);
  // apt on a Dockerfile base cannot be pinned before a build (lock-resolver.ts says why).
  const aptProblem = aptOnBuiltBaseProblem(input.definition);
  if (aptProblem !== undefined) problems.addAll([aptProblem]);
  const prepared = input.prepared ?? prepareDefinition(input.definition, input.sourceFiles);
  // What the build would refuse is refused here, before a version number is taken.
  problems.addAll(prepared.recipeProblems);
  const hash = prepared.definitionHash;
  if (input.lock !== undefined) {
    problems.addAll(
      lockKeyProblems(input.lock, input.definition).map((p) => ({ ...p, key: "lock" })),
    );
  }
  problems.throwIfAny();
  const contextPlan = planContextContent(input.definition, input.contextContent);
  // checkVersionNumber refused anything but a number above.
  const explicit = typeof requested === "number" ? requested : undefined;

  const { name } = input;
  const { lock, problems: lockProblems } = await lockOf(context, input, {
    workspace,
    name,
    hash,
    ...(explicit === undefined ? {} : { explicit }),
  });
  const needed = lock !== undefined || needsLock(input.definition);
  const now = isoNow(context.clock);
  // The lock was resolved with the URLs as written; what is stored has no credentials in it.
  const { credentials } = prepared;
  const record = {
    workspace,
    name,
    definitionJson: prepared.definitionJson,
    definitionHash: hash,
    sourceFilesJson: prepared.sourceFilesJson,
    lockJson: lock === undefined ? null : encodeJson(lock),
    description: description ?? null,
    tagsJson: encodeJson(tags),
    createdAt: now,
    updatedAt: now,
  };

  /** The answer for the version as stored, its lock told as it is now. */
  const done = async (
    tx: StoreTx,
    stored: VersionRecord,
    result: { readonly created: boolean; readonly filled: boolean },
    labels?: LabelContext,
  ): Promise<RegisterResult> => {
    const locked = stored.lockJson !== null;
    const state = locked ? "locked" : needed ? "unlocked" : "not-needed";
    // Kept when locked only for what the lock left unpinned (a base image).
    const problems = state === "unlocked" || (locked && lock !== undefined) ? lockProblems : [];
    const warnings = problems.map((problem) => unlockedWarning(problem, locked));
    return {
      version:
        labels === undefined ? await viewWithLabels(tx, stored) : versionView(stored, labels),
      created: result.created,
      lock: { state, filled: result.filled, problems },
      ...(warnings.length === 0 ? {} : { warnings }),
    };
  };
  /** An existing version of this definition, given the lock when it was stored without one. */
  const same = async (tx: StoreTx, found: VersionRecord): Promise<RegisterResult> => {
    const existing = await resent(tx, found);
    if (existing.lockJson !== null || lock === undefined) {
      return done(tx, existing, { created: false, filled: false });
    }
    const locked = { ...existing, lockJson: encodeJson(lock), updatedAt: now };
    await tx.setVersionLock({ ...locked, now });
    return done(tx, locked, { created: false, filled: true });
  };
  /**
   * Azure ML's rule for an unchanged definition sent again: the version is kept and what was
   * sent of its metadata replaces the stored one (their dedup test: "description-only change →
   * v1 updated"). A description given replaces the stored one; tags given (a non-empty map)
   * replace the stored tags. Nothing given keeps what `env update` set.
   */
  const resent = async (tx: StoreTx, existing: VersionRecord): Promise<VersionRecord> => {
    const newDescription = description ?? existing.description;
    const newTags = Object.keys(tags).length > 0 ? encodeJson(tags) : existing.tagsJson;
    if (newDescription === existing.description && newTags === existing.tagsJson) return existing;
    const updated = { ...existing, description: newDescription, tagsJson: newTags, updatedAt: now };
    await tx.updateVersion({ ...updated, now });
    return updated;
  };

  return context.store.write(async (tx) => {
    await requireWorkspace(tx, workspace);
    const environment = await tx.lockEnvironment({ workspace, name, create: true, now });
    // Also when an existing version is returned: a version stored before contexts were kept as
    // content gets its files once it is registered again from its folder.
    await storeContextContent(tx, contextPlan, now);
    // Every version of this definition hash builds with the credentials sent last, also when
    // an existing version is returned (a rotated password); none sent keeps the stored ones.
    if (credentials.length > 0) {
      await tx.putUrlCredentials({
        workspace,
        definitionHash: hash,
        credentialsJson: encodeJson(credentials),
        now,
      });
    }
    const key = { workspace, name };

    let version: number;
    if (explicit !== undefined) {
      const existing = await tx.getVersion({ ...key, version: explicit });
      if (existing !== undefined) {
        if (existing.definitionHash === hash) return same(tx, existing);
        throw new ConflictError(
          `environment "${name}" version ${explicit} already exists in workspace "${workspace}" with another definition (stored ${existing.definitionHash}, given ${hash})`,
        );
      }
      version = explicit;
    } else {
      // One query while the environment is locked: a new version needs no more than this.
      const numbers = await tx.versionNumbers({ ...key, includeArchived: environment.archived });
      if (numbers.newest?.definitionHash === hash) {
        const compared = await tx.getVersion({ ...key, version: numbers.newest.version });
        if (compared !== undefined) return same(tx, compared);
      }
      version = numbers.max + 1;
      if (version > MAX_VERSION) {
        throw new ConflictError(
          `environment "${name}" in workspace "${workspace}" has used the highest version number (${MAX_VERSION}); register under a new name`,
        );
      }
    }

    const inserted: VersionRecord = { ...record, version, archived: environment.archived };
    await tx.insertVersion(inserted);
    // Above every version there is, a new number has no label, and it is `latest` unless it is
    // archived; an explicit number may sit below others and is looked up as any version is.
    const labels =
      explicit === undefined
        ? { labels: [], latestVersion: inserted.archived ? undefined : version }
        : undefined;
    return done(tx, inserted, { created: true, filled: false }, labels);
  });
}

interface Target {
  readonly workspace: string;
  readonly name: string;
  readonly hash: string;
  readonly explicit?: number;
}

/**
 * The lock to store: the one given, else the resolver's when the definition needs one and the
 * version this registration would return has none, with the problems of the parts that could
 * not be locked. Runs before the transaction: a solve takes seconds, and the store must not be
 * held meanwhile. With `requireLock`, a version that would be left without its lock is refused
 * here, before anything is written.
 */
async function lockOf(
  context: ServiceContext,
  input: RegisterEnvironmentInput,
  target: Target,
): Promise<{ readonly lock?: Lock; readonly problems: readonly LockProblem[] }> {
  if (input.lock !== undefined) {
    return { lock: { ...input.lock, definitionHash: target.hash }, problems: [] };
  }
  // A conda env, or pip for the image's interpreter; without them a lock still pins what floats
  // otherwise: base images and apt packages.
  const conda = needsLock(input.definition);
  if (!conda && (!hasPinsToMake(input.definition) || context.resolveLock === undefined)) {
    return { problems: [] };
  }
  const { existing, kept } = await context.store.read((tx) =>
    lockReads(tx, target, input.definition),
  );
  if (existing !== undefined && existing.lockJson !== null) return { problems: [] };
  if (kept !== undefined) return { lock: kept, problems: [] };
  const resolve = context.resolveLock;
  const resolution: LockResolution =
    resolve === undefined
      ? {
          kind: "unavailable",
          problems: [
            {
              part: needsCondaLock(input.definition) ? "conda" : "pip",
              reason: "this workspace resolves no locks at registration",
            },
          ],
        }
      : await resolve(input.definition, target.hash);
  if (resolution.kind === "unavailable") {
    if (!conda) return { problems: [] };
    if (input.requireLock === true) throw lockRequired(resolution.problems);
    return { problems: resolution.problems };
  }
  if (resolution.lock.definitionHash !== target.hash) {
    throw new InternalError(
      `the lock resolver returned a lock of ${resolution.lock.definitionHash} for ${target.hash}`,
    );
  }
  return { lock: resolution.lock, problems: resolution.problems ?? [] };
}

/** The refusal of a registration that requires a lock: every part that could not be locked. */
function lockRequired(problems: readonly LockProblem[]): ValidationError {
  return new ValidationError(
    problems.map((problem) => ({
      key: `lock.${problem.part}`,
      message: `a lock is required and the ${problem.part} part cannot be locked: ${problem.reason}`,
      allowed: "a definition whose every part locks, or registration without requireLock",
    })),
  );
}

/**
 * In one read: the version registering `target` would return (`existing`, read without locking
 * anything), and the newest version's lock when it was resolved from what this definition asks
 * for (`kept`): a definition that changed only in variables or metadata keeps its packages
 * exactly, without a solve (the lock is keyed by its resolution hash, docs/hashing.md).
 */
async function lockReads(
  tx: StoreTx,
  target: Target,
  definition: Definition,
): Promise<{ readonly existing?: VersionHead; readonly kept?: Lock }> {
  const key = { workspace: target.workspace, name: target.name };
  const environment = await tx.getEnvironment(key);
  if (environment === undefined) return {};
  // Heads only: a definition at the limits is half a megabyte of JSON not needed here.
  const newest = await tx.newestVersionHead({ ...key, includeArchived: true });
  const compared =
    target.explicit !== undefined
      ? await tx.getVersion({ ...key, version: target.explicit })
      : environment.archived || newest === undefined || !newest.archived
        ? newest
        : await tx.newestVersionHead({ ...key, includeArchived: false });
  const existing = compared?.definitionHash === target.hash ? compared : undefined;
  if (existing !== undefined && existing.lockJson !== null) return { existing };
  const lock = decodeLock(newest?.lockJson ?? null);
  const kept =
    lock?.resolution === undefined || lockKeyProblems(lock, definition).length > 0
      ? undefined
      : { ...lock, definitionHash: target.hash };
  return {
    ...(existing === undefined ? {} : { existing }),
    ...(kept === undefined ? {} : { kept }),
  };
}

/** The definition file's `version:`; text that is not a number is reported by the check. */
function versionFromDefinition(definition: Definition): number | string | undefined {
  const written = definition.version?.trim();
  if (written === undefined || written === "") return undefined;
  return /^[0-9]+$/.test(written) ? Number(written) : written;
}
