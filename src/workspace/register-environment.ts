/**
 * Registration, the versioning rules of ARCHITECTURE.md in one place:
 * - the same definition hash as `latest` returns `latest` (no new version);
 * - a changed definition gets the highest version + 1;
 * - an explicit version (given, or the definition's own `version:`) that exists with the same
 *   hash is returned, with another hash it is a conflict; one that does not exist is created;
 * - in an archived environment new versions are created archived (as Azure ML does), and the
 *   newest version, archived or not, is the one compared against.
 * Everything is checked before the transaction; the transaction holds the environment's lock
 * from the first read to the insert, so concurrent registrations cannot pick one number twice.
 */
import { ConflictError } from "../errors/index.js";
import type { Definition } from "../spec/definition.js";
import { definitionHash } from "../spec/definition-hash.js";
import type { Lock } from "../spec/lock.js";
import { isoNow } from "./clock.js";
import type { EnvironmentVersion } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { VersionRecord } from "./store.js";
import { encodeJson } from "./stored-values.js";
import {
  checkDescription,
  checkEnvironmentName,
  checkTags,
  checkVersionNumber,
  MAX_VERSION,
} from "./validation.js";
import { viewWithLabels } from "./version-view.js";

export interface RegisterEnvironmentInput {
  /** Default: the `default` workspace. */
  readonly workspace?: string;
  readonly name: string;
  /** Parsed by spec/ or host/; the service does not read files. */
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
  /** The resolved lock, when resolution ran; must be of this definition. */
  readonly lock?: Lock;
  /** The files the definition was read from (path → text), kept for display. */
  readonly sourceFiles?: Readonly<Record<string, string>>;
}

export interface RegisterResult {
  readonly version: EnvironmentVersion;
  /** False when an existing version with this definition was returned. */
  readonly created: boolean;
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
  const hash = definitionHash(input.definition);
  if (input.lock !== undefined && input.lock.definitionHash !== hash) {
    problems.add({
      key: "lock",
      message: "the lock was resolved from another definition",
      found: input.lock.definitionHash,
      allowed: `a lock of this definition (${hash})`,
    });
  }
  problems.throwIfAny();
  // checkVersionNumber refused anything but a number above.
  const explicit = typeof requested === "number" ? requested : undefined;

  const now = isoNow(context.clock);
  const { name } = input;
  const record = {
    workspace,
    name,
    definitionJson: encodeJson(input.definition),
    definitionHash: hash,
    sourceFilesJson: encodeJson(input.sourceFiles ?? {}),
    lockJson: input.lock === undefined ? null : encodeJson(input.lock),
    description: description ?? null,
    tagsJson: encodeJson(tags),
    createdAt: now,
    updatedAt: now,
  };

  return context.store.write(async (tx) => {
    await requireWorkspace(tx, workspace);
    const environment = await tx.lockEnvironment({ workspace, name, create: true, now });
    const key = { workspace, name };

    let version: number;
    if (explicit !== undefined) {
      const existing = await tx.getVersion({ ...key, version: explicit });
      if (existing !== undefined) {
        if (existing.definitionHash === hash) {
          return { version: await viewWithLabels(tx, existing), created: false };
        }
        throw new ConflictError(
          `environment "${name}" version ${explicit} already exists in workspace "${workspace}" with another definition (stored ${existing.definitionHash}, given ${hash})`,
        );
      }
      version = explicit;
    } else {
      const compared = await tx.newestVersion({ ...key, includeArchived: environment.archived });
      if (compared !== undefined && compared.definitionHash === hash) {
        return { version: await viewWithLabels(tx, compared), created: false };
      }
      version = (await tx.maxVersionNumber(key)) + 1;
      if (version > MAX_VERSION) {
        throw new ConflictError(
          `environment "${name}" in workspace "${workspace}" has used the highest version number (${MAX_VERSION}); register under a new name`,
        );
      }
    }

    const inserted: VersionRecord = { ...record, version, archived: environment.archived };
    await tx.insertVersion(inserted);
    await tx.touchEnvironment({ ...key, now });
    return { version: await viewWithLabels(tx, inserted), created: true };
  });
}

/** The definition file's `version:`; text that is not a number is reported by the check. */
function versionFromDefinition(definition: Definition): number | string | undefined {
  const written = definition.version?.trim();
  if (written === undefined || written === "") return undefined;
  return /^[0-9]+$/.test(written) ? Number(written) : written;
}
