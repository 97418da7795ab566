/**
 * The retention policy of a team's workspace (issue 13, point 8): per environment, keep the
 * newest N versions and/or those younger than D days, and delete the rest. Always kept,
 * whatever the policy: a version a label points to, the environment's `latest` (its newest
 * unarchived version) and its newest version. Curated environments are not in the store, so
 * they are never touched. Builds and jobs keep their records (they name the version they used).
 * The decision is a pure function of the versions, labels and clock; the store part re-reads
 * each environment under its lock, so a registration racing the prune is never deleted.
 */
import { isoNow } from "./clock.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { LabelRecord, StoreTx, VersionRecord } from "./store.js";

export interface RetentionPolicy {
  /** Keep this many of the newest versions of each environment. */
  readonly keepNewest?: number;
  /** Keep versions registered within this many days. */
  readonly keepDays?: number;
}

export interface PruneVersionsInput {
  readonly workspace?: string;
  /** One environment; default every environment of the workspace. */
  readonly name?: string;
  readonly policy: RetentionPolicy;
  /** Decide and report, delete nothing. */
  readonly dryRun?: boolean;
}

export interface VersionVerdict {
  readonly name: string;
  readonly version: number;
  readonly createdAt: string;
  /** Why it stays; absent for a version that goes. */
  readonly keptBecause?: string;
}

export interface PruneVersionsResult {
  readonly workspace: string;
  readonly dryRun: boolean;
  readonly deleted: readonly VersionVerdict[];
  readonly kept: readonly VersionVerdict[];
}

const DAY_MS = 86_400_000;
const PAGE = 1000;

/** Pure: the verdict on each version (any order in, newest first out). */
export function retentionVerdicts(input: {
  readonly versions: readonly VersionRecord[];
  readonly labels: readonly LabelRecord[];
  readonly policy: RetentionPolicy;
  readonly nowMs: number;
}): VersionVerdict[] {
  const { policy } = input;
  const versions = [...input.versions].sort((a, b) => b.version - a.version);
  const labelled = new Map<number, string[]>();
  for (const l of input.labels)
    labelled.set(l.version, [...(labelled.get(l.version) ?? []), l.label]);
  const latest = versions.find((v) => !v.archived)?.version;
  const newest = versions[0]?.version;
  return versions.map((v, index) => {
    const ageMs = input.nowMs - Date.parse(v.createdAt);
    const reason = labelled.has(v.version)
      ? `labelled ${(labelled.get(v.version) ?? []).join(", ")}`
      : v.version === latest
        ? "latest"
        : v.version === newest
          ? "the newest version"
          : policy.keepNewest !== undefined && index < policy.keepNewest
            ? `one of the newest ${policy.keepNewest}`
            : policy.keepDays !== undefined && ageMs < policy.keepDays * DAY_MS
              ? `younger than ${policy.keepDays} days`
              : undefined;
    return {
      name: v.name,
      version: v.version,
      createdAt: v.createdAt,
      ...(reason === undefined ? {} : { keptBecause: reason }),
    };
  });
}

export async function pruneVersions(
  context: ServiceContext,
  input: PruneVersionsInput,
): Promise<PruneVersionsResult> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkPolicy(problems, input.policy);
  problems.throwIfAny();
  const dryRun = input.dryRun === true;
  const nowMs = context.clock().getTime();
  const names =
    input.name === undefined
      ? await context.store.read((tx) => environmentNames(tx, workspace))
      : [input.name];

  const deleted: VersionVerdict[] = [];
  const kept: VersionVerdict[] = [];
  for (const name of names) {
    const key = { workspace, name };
    const verdicts = await context.store.write(async (tx) => {
      await requireWorkspace(tx, workspace);
      const environment = await tx.lockEnvironment({ ...key, create: false });
      if (environment === undefined) return [];
      const verdicts = retentionVerdicts({
        versions: await allVersions(tx, workspace, name),
        labels: await tx.listLabels(key),
        policy: input.policy,
        nowMs,
      });
      const gone = verdicts.filter((v) => v.keptBecause === undefined).map((v) => v.version);
      if (!dryRun && gone.length > 0) {
        await tx.deleteVersions({ ...key, versions: gone });
        await tx.touchEnvironment({ ...key, now: isoNow(context.clock) });
      }
      return verdicts;
    });
    for (const v of verdicts) (v.keptBecause === undefined ? deleted : kept).push(v);
  }
  return { workspace, dryRun, deleted, kept };
}

function checkPolicy(problems: ReturnType<typeof newProblems>, policy: RetentionPolicy): void {
  const { keepNewest, keepDays } = policy;
  if (keepNewest === undefined && keepDays === undefined) {
    problems.add({
      key: "policy",
      message: "names nothing to keep",
      allowed: "keep the newest N versions, versions younger than D days, or both",
    });
  }
  if (keepNewest !== undefined && !(Number.isSafeInteger(keepNewest) && keepNewest >= 1)) {
    problems.add({
      key: "keepNewest",
      message: "is not a whole number of versions",
      found: String(keepNewest),
      allowed: "1 or more",
    });
  }
  if (keepDays !== undefined && !(Number.isFinite(keepDays) && keepDays > 0)) {
    problems.add({
      key: "keepDays",
      message: "is not a number of days",
      found: String(keepDays),
      allowed: "a number above 0, e.g. 30 or 0.5",
    });
  }
}

async function environmentNames(tx: StoreTx, workspace: string): Promise<string[]> {
  await requireWorkspace(tx, workspace);
  const names: string[] = [];
  let afterName: string | undefined;
  for (;;) {
    const page = await tx.listEnvironments({
      workspace,
      includeArchived: true,
      ...(afterName === undefined ? {} : { afterName }),
      limit: PAGE,
    });
    names.push(...page.map((e) => e.name));
    if (page.length < PAGE) return names;
    afterName = page[page.length - 1]?.name;
  }
}

async function allVersions(tx: StoreTx, workspace: string, name: string): Promise<VersionRecord[]> {
  const all: VersionRecord[] = [];
  let beforeVersion: number | undefined;
  for (;;) {
    const page = await tx.listVersions({
      workspace,
      name,
      includeArchived: true,
      ...(beforeVersion === undefined ? {} : { beforeVersion }),
      limit: PAGE,
    });
    all.push(...page);
    if (page.length < PAGE) return all;
    beforeVersion = page[page.length - 1]?.version;
  }
}
