/**
 * What may change after registration: description and tags (updateVersion), custom labels, and
 * the archived flag of a version or of a whole environment. Definitions, locks and numbers never
 * change. Curated environments change not at all.
 */
import { NotFoundError } from "../errors/index.js";
import type { ProblemCollector } from "../errors/index.js";
import { isoNow } from "./clock.js";
import type { EnvironmentVersion } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { EnvironmentKey, StoreTx, VersionRecord } from "./store.js";
import { encodeJson } from "./stored-values.js";
import {
  checkDescription,
  checkLabel,
  checkName,
  checkTags,
  checkVersionNumber,
  describe,
  isReservedName,
} from "./validation.js";
import { viewWithLabels } from "./version-view.js";

/** The fields updateVersion accepts; anything else in `changes` is refused. */
export const UPDATABLE_FIELDS = ["description", "tags"] as const;

export interface UpdateVersionInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version: number;
  /**
   * `description` (text, or null to clear) and/or `tags` (replaces the whole map). Untyped on
   * purpose: it is usually a request body, and every other key is reported as not changeable.
   */
  readonly changes: Readonly<Record<string, unknown>>;
}

export async function updateVersion(
  context: ServiceContext,
  input: UpdateVersionInput,
): Promise<EnvironmentVersion> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkWritableName(problems, input.name);
  checkVersionNumber(problems, input.version);
  const { changes } = input;
  for (const key of Object.keys(changes).sort()) {
    if (!UPDATABLE_FIELDS.some((field) => field === key)) {
      problems.add({
        key,
        message: "cannot be changed after registration",
        found: JSON.stringify(key),
        allowed: `${UPDATABLE_FIELDS.join(", ")}; labels with setLabel, archived with archive or restore; anything else needs a new version`,
      });
    }
  }
  const description = changes.description;
  checkDescription(problems, description);
  const tags = changes.tags;
  checkTags(problems, tags);
  problems.throwIfAny();

  return context.store.write(async (tx) => {
    const key = await lockExisting(tx, workspace, input.name);
    const record = await requireVersion(tx, { ...key, version: input.version });
    const updated: VersionRecord = {
      ...record,
      description:
        "description" in changes
          ? typeof description === "string"
            ? description
            : null
          : record.description,
      tagsJson: tags === undefined ? record.tagsJson : encodeJson(tags),
      updatedAt: isoNow(context.clock),
    };
    await tx.updateVersion({ ...updated, now: updated.updatedAt });
    return viewWithLabels(tx, updated);
  });
}

export interface SetLabelInput {
  readonly workspace?: string;
  readonly name: string;
  readonly label: string;
  readonly version: number;
}

/** Points a custom label at a version, moving it if it pointed elsewhere. */
export async function setLabel(
  context: ServiceContext,
  input: SetLabelInput,
): Promise<EnvironmentVersion> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkWritableName(problems, input.name);
  checkLabel(problems, input.label);
  checkVersionNumber(problems, input.version);
  problems.throwIfAny();
  return context.store.write(async (tx) => {
    const key = await lockExisting(tx, workspace, input.name);
    const record = await requireVersion(tx, { ...key, version: input.version });
    await tx.putLabel({
      ...key,
      label: input.label,
      version: input.version,
      updatedAt: isoNow(context.clock),
    });
    return viewWithLabels(tx, record);
  });
}

export interface RemoveLabelInput {
  readonly workspace?: string;
  readonly name: string;
  readonly label: string;
}

export async function removeLabel(context: ServiceContext, input: RemoveLabelInput): Promise<void> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkWritableName(problems, input.name);
  checkLabel(problems, input.label);
  problems.throwIfAny();
  await context.store.write(async (tx) => {
    const key = await lockExisting(tx, workspace, input.name);
    if (!(await tx.deleteLabel({ ...key, label: input.label }))) {
      throw new NotFoundError(
        `environment "${input.name}" in workspace "${workspace}" has no label "${input.label}"`,
      );
    }
  });
}

export interface ArchiveInput {
  readonly workspace?: string;
  readonly name: string;
  /** Without a version, the whole environment: every version, and versions registered later. */
  readonly version?: number;
}

/** Archived versions leave lists and `latest` but are still found by number. Idempotent. */
export function archive(context: ServiceContext, input: ArchiveInput): Promise<void> {
  return setArchived(context, input, true);
}

/**
 * Restoring a version also restores its environment (or the version would stay hidden);
 * restoring an environment restores every version.
 */
export function restore(context: ServiceContext, input: ArchiveInput): Promise<void> {
  return setArchived(context, input, false);
}

async function setArchived(
  context: ServiceContext,
  input: ArchiveInput,
  archived: boolean,
): Promise<void> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkWritableName(problems, input.name);
  if (input.version !== undefined) checkVersionNumber(problems, input.version);
  problems.throwIfAny();
  await context.store.write(async (tx) => {
    const key = await lockExisting(tx, workspace, input.name);
    const now = isoNow(context.clock);
    if (input.version === undefined) {
      await tx.setEnvironmentArchived({ ...key, archived, now });
      await tx.setAllVersionsArchived({ ...key, archived, now });
      return;
    }
    const record = await requireVersion(tx, { ...key, version: input.version });
    if (record.archived !== archived) {
      await tx.updateVersion({ ...record, archived, now });
    }
    if (!archived) await tx.setEnvironmentArchived({ ...key, archived: false, now });
  });
}

function checkWritableName(problems: ProblemCollector, name: unknown): void {
  checkName(problems, name, { key: "name", what: "environment" });
  if (typeof name === "string" && isReservedName(name)) {
    problems.add({
      key: "name",
      message: "curated environments are read-only",
      found: describe(name),
      allowed: "register a copy of its definition under your own name, then change that",
    });
  }
}

async function lockExisting(tx: StoreTx, workspace: string, name: string): Promise<EnvironmentKey> {
  await requireWorkspace(tx, workspace);
  const environment = await tx.lockEnvironment({ workspace, name, create: false });
  if (environment === undefined) {
    throw new NotFoundError(`environment "${name}" not found in workspace "${workspace}"`);
  }
  return { workspace, name };
}

async function requireVersion(
  tx: StoreTx,
  key: EnvironmentKey & { readonly version: number },
): Promise<VersionRecord> {
  const record = await tx.getVersion(key);
  if (record === undefined) {
    throw new NotFoundError(
      `environment "${key.name}" in workspace "${key.workspace}" has no version ${key.version}`,
    );
  }
  return record;
}
