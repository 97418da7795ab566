/** Reading: one version (by number, label or `latest`), lists with cursors, curated entries. */
import { NotFoundError } from "../errors/index.js";
import type { CuratedEnvironment } from "./curated-catalog.js";
import { decodeNameCursor, decodeVersionCursor, encodeCursor } from "./cursor.js";
import { LATEST_LABEL } from "./model.js";
import type { EnvironmentDetails, EnvironmentSummary, EnvironmentVersion, Page } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { StoreTx } from "./store.js";
import {
  checkLimit,
  checkName,
  checkVersionNumber,
  isReservedName,
  LABEL_PATTERN,
} from "./validation.js";
import { CURATED_CREATED_AT, curatedView, labelContext, versionView } from "./version-view.js";

export const DEFAULT_PAGE_SIZE = 100;

export interface GetEnvironmentVersionInput {
  readonly workspace?: string;
  readonly name: string;
  /** At most one of version and label; with neither, `latest`. */
  readonly version?: number;
  readonly label?: string;
}

export async function getEnvironmentVersion(
  context: ServiceContext,
  input: GetEnvironmentVersionInput,
): Promise<EnvironmentVersion> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkName(problems, input.name, { key: "name", what: "environment" });
  if (input.version !== undefined) checkVersionNumber(problems, input.version);
  if (input.label !== undefined && !LABEL_PATTERN.test(input.label)) {
    problems.add({
      key: "label",
      message: "not a valid label",
      found: JSON.stringify(input.label),
      allowed: "a label such as latest, prod or staging",
    });
  }
  if (input.version !== undefined && input.label !== undefined) {
    problems.add({
      key: "label",
      message: "give a version or a label, not both",
      found: `version ${input.version} and label "${input.label}"`,
    });
  }
  problems.throwIfAny();
  const { name } = input;
  const label = input.label ?? (input.version === undefined ? LATEST_LABEL : undefined);

  if (isReservedName(name)) {
    const curated = await findCurated(context, workspace, name);
    const matches =
      curated !== undefined &&
      (input.version === undefined || input.version === curated.version) &&
      (label === undefined || label === LATEST_LABEL);
    if (!matches) {
      throw new NotFoundError(
        `curated environment "${name}"${what(input.version, label)} not found; list them with listCurated`,
      );
    }
    return curatedView(curated, workspace);
  }

  return context.store.read(async (tx) => {
    await requireWorkspace(tx, workspace);
    const key = { workspace, name };
    await requireEnvironment(tx, key);
    const labels = await labelContext(tx, key);
    let version = input.version;
    if (label === LATEST_LABEL) {
      if (labels.latestVersion === undefined) {
        throw new NotFoundError(
          `environment "${name}" in workspace "${workspace}" has no unarchived version, so no latest; archived versions are still found by number`,
        );
      }
      version = labels.latestVersion;
    } else if (label !== undefined) {
      version = labels.labels.find((l) => l.label === label)?.version;
      if (version === undefined) {
        throw new NotFoundError(
          `environment "${name}" in workspace "${workspace}" has no label "${label}"`,
        );
      }
    }
    const record = version === undefined ? undefined : await tx.getVersion({ ...key, version });
    if (record === undefined) {
      throw new NotFoundError(
        `environment "${name}" in workspace "${workspace}" has no version ${String(version)}`,
      );
    }
    return versionView(record, labels);
  });
}

/** One environment: its state and where its labels point. */
export async function getEnvironment(
  context: ServiceContext,
  input: { readonly workspace?: string; readonly name: string },
): Promise<EnvironmentDetails> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkName(problems, input.name, { key: "name", what: "environment" });
  problems.throwIfAny();
  const { name } = input;

  if (isReservedName(name)) {
    const curated = await findCurated(context, workspace, name);
    if (curated === undefined) throw new NotFoundError(`curated environment "${name}" not found`);
    return {
      workspace,
      name,
      archived: false,
      latestVersion: curated.version,
      labels: { [LATEST_LABEL]: curated.version },
      curated: true,
      createdAt: CURATED_CREATED_AT,
      updatedAt: CURATED_CREATED_AT,
    };
  }

  return context.store.read(async (tx) => {
    await requireWorkspace(tx, workspace);
    const key = { workspace, name };
    const environment = await tx.getEnvironment(key);
    if (environment === undefined) {
      throw new NotFoundError(`environment "${name}" not found in workspace "${workspace}"`);
    }
    const { labels, latestVersion } = await labelContext(tx, key);
    const pointers = labels.map((l): [string, number] => [l.label, l.version]);
    if (latestVersion !== undefined) pointers.push([LATEST_LABEL, latestVersion]);
    pointers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      workspace,
      name,
      archived: environment.archived,
      ...(latestVersion === undefined ? {} : { latestVersion }),
      labels: Object.fromEntries(pointers),
      curated: false,
      createdAt: environment.createdAt,
      updatedAt: environment.updatedAt,
    };
  });
}

export interface ListEnvironmentsInput {
  readonly workspace?: string;
  readonly includeArchived?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

/** Sorted by name. Environments whose every version is archived show only with includeArchived. */
export async function listEnvironments(
  context: ServiceContext,
  input: ListEnvironmentsInput = {},
): Promise<Page<EnvironmentSummary>> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkLimit(problems, input.limit);
  problems.throwIfAny();
  const afterName = decodeNameCursor(input.cursor);
  const limit = input.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await context.store.read(async (tx) => {
    await requireWorkspace(tx, workspace);
    return tx.listEnvironments({
      workspace,
      includeArchived: input.includeArchived ?? false,
      ...(afterName === undefined ? {} : { afterName }),
      limit: limit + 1,
    });
  });
  const items = rows.slice(0, limit).map((row): EnvironmentSummary => ({
    workspace: row.workspace,
    name: row.name,
    archived: row.archived,
    ...(row.latestVersion === null ? {} : { latestVersion: row.latestVersion }),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }));
  const last = items.at(-1);
  return rows.length > limit && last !== undefined
    ? { items, nextCursor: encodeCursor(last.name) }
    : { items };
}

export interface ListVersionsInput {
  readonly workspace?: string;
  readonly name: string;
  readonly includeArchived?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

/** Newest first. */
export async function listVersions(
  context: ServiceContext,
  input: ListVersionsInput,
): Promise<Page<EnvironmentVersion>> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkName(problems, input.name, { key: "name", what: "environment" });
  checkLimit(problems, input.limit);
  problems.throwIfAny();
  const beforeVersion = decodeVersionCursor(input.cursor);
  const limit = input.limit ?? DEFAULT_PAGE_SIZE;
  const { name } = input;

  if (isReservedName(name)) {
    const curated = await findCurated(context, workspace, name);
    if (curated === undefined) throw new NotFoundError(`curated environment "${name}" not found`);
    const shown = beforeVersion === undefined || curated.version < beforeVersion;
    return { items: shown ? [curatedView(curated, workspace)] : [] };
  }

  return context.store.read(async (tx) => {
    await requireWorkspace(tx, workspace);
    const key = { workspace, name };
    await requireEnvironment(tx, key);
    const rows = await tx.listVersions({
      ...key,
      includeArchived: input.includeArchived ?? false,
      ...(beforeVersion === undefined ? {} : { beforeVersion }),
      limit: limit + 1,
    });
    const labels = await labelContext(tx, key);
    const items = rows.slice(0, limit).map((row) => versionView(row, labels));
    const last = items.at(-1);
    return rows.length > limit && last !== undefined
      ? { items, nextCursor: encodeCursor(last.version) }
      : { items };
  });
}

/** The curated environments, as versions of the given workspace (they appear in every one). */
export async function listCurated(
  context: ServiceContext,
  input: { readonly workspace?: string } = {},
): Promise<readonly EnvironmentVersion[]> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  problems.throwIfAny();
  await context.store.read((tx) => requireWorkspace(tx, workspace));
  return (await context.curated.list()).map((curated) => curatedView(curated, workspace));
}

export async function requireEnvironment(
  tx: StoreTx,
  key: { readonly workspace: string; readonly name: string },
): Promise<void> {
  if ((await tx.getEnvironment(key)) === undefined) {
    throw new NotFoundError(`environment "${key.name}" not found in workspace "${key.workspace}"`);
  }
}

/** Curated environments appear in every workspace, but only in workspaces that exist. */
async function findCurated(
  context: ServiceContext,
  workspace: string,
  name: string,
): Promise<CuratedEnvironment | undefined> {
  await context.store.read((tx) => requireWorkspace(tx, workspace));
  return (await context.curated.list()).find((c) => c.name === name);
}

function what(version: number | undefined, label: string | undefined): string {
  if (version !== undefined) return ` version ${version}`;
  return label === undefined || label === LATEST_LABEL ? "" : ` label "${label}"`;
}
