/**
 * The build queue port: it only wakes workers. What to build, and who builds it, is in the build
 * records (workspace/build-leases.ts); a lost or duplicated wake-up costs at most one poll.
 */
export interface BuildQueue {
  readonly kind: "pg-boss" | "in-process";
  /** Tells workers that a build was queued. */
  notify(buildId: string): Promise<void>;
  /** Calls `onWake` whenever a build is queued anywhere. */
  listen(onWake: (buildId: string) => void): Promise<void>;
  /** Resolves when the queue can take a wake-up now; rejects with the reason otherwise. */
  ready(): Promise<void>;
  close(): Promise<void>;
}
