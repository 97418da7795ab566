import { describe, expect, it } from "vitest";
import { retentionVerdicts } from "./prune-versions.js";
import type { RetentionPolicy } from "./prune-versions.js";
import type { VersionRecord } from "./store.js";

const NOW = Date.parse("2026-12-01T00:00:00Z");
const DAY = 86_400_000;

/** Versions 1..n, version v registered (n - v) * 10 days ago; `archived` lists archived ones. */
function versions(n: number, archived: readonly number[] = []): VersionRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const version = i + 1;
    return {
      workspace: "default",
      name: "e",
      version,
      definitionJson: "{}",
      definitionHash: "envforge_00000000000000000000000000000000",
      sourceFilesJson: "{}",
      lockJson: null,
      description: null,
      tagsJson: "{}",
      archived: archived.includes(version),
      createdAt: new Date(NOW - (n - version) * 10 * DAY).toISOString(),
      updatedAt: new Date(NOW).toISOString(),
    };
  });
}

function deleted(
  policy: RetentionPolicy,
  options: { n?: number; labels?: Record<string, number>; archived?: number[] } = {},
): number[] {
  return retentionVerdicts({
    versions: versions(options.n ?? 6, options.archived),
    labels: Object.entries(options.labels ?? {}).map(([label, version]) => ({
      workspace: "default",
      name: "e",
      label,
      version,
      updatedAt: "",
    })),
    policy,
    nowMs: NOW,
  })
    .filter((v) => v.keptBecause === undefined)
    .map((v) => v.version);
}

describe("retention verdicts", () => {
  it.each([
    { title: "keep the newest 2", policy: { keepNewest: 2 }, gone: [4, 3, 2, 1] },
    { title: "keep 25 days (versions 6, 5, 4)", policy: { keepDays: 25 }, gone: [3, 2, 1] },
    { title: "either rule keeps", policy: { keepNewest: 4, keepDays: 5 }, gone: [2, 1] },
    { title: "a label keeps", policy: { keepNewest: 1 }, labels: { prod: 2 }, gone: [5, 4, 3, 1] },
    {
      title: "latest is the newest unarchived version",
      policy: { keepNewest: 1 },
      archived: [6],
      gone: [4, 3, 2, 1],
    },
  ])("$title", ({ policy, labels, archived, gone }) => {
    expect(
      deleted(policy, { ...(labels ? { labels } : {}), ...(archived ? { archived } : {}) }),
    ).toEqual(gone);
  });
});
