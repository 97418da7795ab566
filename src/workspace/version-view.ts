/** Store records → the EnvironmentVersion callers see (labels, `latest`, decoded JSON). */
import { definitionHash } from "../definition/definition-hash.js";
import type { CuratedEnvironment } from "./curated-catalog.js";
import { LATEST_LABEL } from "./model.js";
import type { EnvironmentVersion } from "./model.js";
import type { EnvironmentKey, LabelRecord, StoreTx, VersionRecord } from "./store.js";
import { decodeDefinition, decodeLock, decodeStringRecord } from "./stored-values.js";

/** What the labels of one environment's versions depend on. */
export interface LabelContext {
  readonly labels: readonly LabelRecord[];
  readonly latestVersion: number | undefined;
}

export async function labelContext(tx: StoreTx, key: EnvironmentKey): Promise<LabelContext> {
  const [labels, latest] = await Promise.all([
    tx.listLabels(key),
    tx.newestVersion({ ...key, includeArchived: false }),
  ]);
  return { labels, latestVersion: latest?.version };
}

export function versionView(record: VersionRecord, context: LabelContext): EnvironmentVersion {
  const labels = context.labels.filter((l) => l.version === record.version).map((l) => l.label);
  if (context.latestVersion === record.version) labels.push(LATEST_LABEL);
  const lock = decodeLock(record.lockJson);
  return {
    workspace: record.workspace,
    name: record.name,
    version: record.version,
    definition: decodeDefinition(record.definitionJson),
    definitionHash: record.definitionHash,
    sourceFiles: decodeStringRecord(record.sourceFilesJson, "source files"),
    ...(lock === undefined ? {} : { lock }),
    ...(record.description === null ? {} : { description: record.description }),
    tags: decodeStringRecord(record.tagsJson, "tags"),
    labels: labels.sort(),
    archived: record.archived,
    curated: false,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export async function viewWithLabels(
  tx: StoreTx,
  record: VersionRecord,
): Promise<EnvironmentVersion> {
  return versionView(record, await labelContext(tx, record));
}

/** Curated environments have no registration time; they are shown as shipped at the epoch. */
export const CURATED_CREATED_AT = new Date(0).toISOString();

export function curatedView(curated: CuratedEnvironment, workspace: string): EnvironmentVersion {
  const { definition } = curated;
  return {
    workspace,
    name: curated.name,
    version: curated.version,
    definition,
    definitionHash: definitionHash(definition),
    sourceFiles: curated.sourceFiles,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    tags: definition.tags,
    labels: [LATEST_LABEL],
    archived: false,
    curated: true,
    createdAt: CURATED_CREATED_AT,
    updatedAt: CURATED_CREATED_AT,
  };
}
