/**
 * What operators count: builds and jobs by state, and the runs that ended (for duration
 * histograms), read from the store so a server sees what every worker did.
 */
import type { BuildState } from "./build-store.js";
import type { JobState } from "./job-store.js";
import type { EndedCursor, EndedRun } from "./operations-stats.js";
import type { WorkspaceStore } from "./store.js";

export type { EndedCursor, EndedRun } from "./operations-stats.js";

export interface RunCounts {
  readonly builds: Readonly<Record<BuildState, number>>;
  readonly jobs: Readonly<Record<JobState, number>>;
}

export interface RunStats {
  /** Builds and jobs in each state, across all workspaces. */
  countRuns(): Promise<RunCounts>;
  /** Builds or jobs that ended after `after`, oldest first, at most `limit`. */
  endedRuns(input: {
    readonly kind: "build" | "job";
    readonly after: EndedCursor;
    readonly limit: number;
  }): Promise<readonly EndedRun[]>;
}

export function createRunStats(store: WorkspaceStore): RunStats {
  return {
    countRuns: () =>
      store.read(async (tx) => ({ builds: await tx.buildCounts(), jobs: await tx.jobCounts() })),
    endedRuns: (input) => store.read((tx) => tx.endedSince(input)),
  };
}
