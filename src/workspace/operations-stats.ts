/**
 * The store port's part for operations: how many builds and jobs are in each state, and which
 * ended since a point in time (for duration histograms). Read across all workspaces; the store
 * is the source of truth, so a server counts what every worker did.
 */
import type { BuildState } from "./build-store.js";
import type { JobState } from "./job-store.js";

export interface EndedRun {
  readonly kind: "build" | "job";
  readonly id: string;
  readonly state: "succeeded" | "failed" | "canceled";
  /** ISO times; `startedAt` is null for a run canceled before it started. */
  readonly startedAt: string | null;
  readonly finishedAt: string;
}

/** Where a scan of ended runs stopped: the last one seen (finish time, then id). */
export interface EndedCursor {
  readonly finishedAt: string;
  readonly id: string;
}

export interface OperationsStatsTx {
  buildCounts(): Promise<Readonly<Record<BuildState, number>>>;
  jobCounts(): Promise<Readonly<Record<JobState, number>>>;
  /** Builds or jobs that ended after the cursor, oldest first. */
  endedSince(query: {
    readonly kind: "build" | "job";
    readonly after: EndedCursor;
    readonly limit: number;
  }): Promise<readonly EndedRun[]>;
}
