/**
 * The store port's part for builds: records, leases and log chunks, in the store's own terms.
 * The build record is the source of truth; a queue (pg-boss) only wakes workers up.
 */

export const BUILD_STATES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type BuildState = (typeof BUILD_STATES)[number];

/** Queued and running: the states the single-flight index covers. */
export const ACTIVE_BUILD_STATES: readonly BuildState[] = ["queued", "running"];

export const LOG_STREAMS = ["step", "stdout", "stderr", "envforge"] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export interface BuildRecord {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly definitionHash: string;
  readonly imageHash: string;
  readonly imageName: string;
  readonly registry: string | null;
  readonly definitionJson: string;
  readonly lockJson: string | null;
  readonly state: BuildState;
  /** How many times a worker has claimed it (0 while first queued). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly workerId: string | null;
  readonly leaseUntil: string | null;
  readonly cancelRequested: boolean;
  /**
   * Once succeeded: the manifest digest in `registry`, or, when `registry` is null, the image id
   * in the local engine that built it (an image never pushed has no manifest digest).
   */
  readonly digest: string | null;
  readonly cacheHit: boolean | null;
  readonly reason: string | null;
  readonly failedStep: string | null;
  readonly logChunks: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly updatedAt: string;
}

export interface LogChunkRecord {
  readonly seq: number;
  /** Build attempt (builds) or 1 (jobs). */
  readonly attempt: number;
  readonly stream: LogStream;
  /** One or more lines, each ending in `\n`. */
  readonly text: string;
  readonly createdAt: string;
}

export interface BuildLease {
  readonly id: string;
  readonly workerId: string;
  readonly now: string;
  readonly leaseUntil: string;
}

export interface BuildEnd {
  readonly id: string;
  readonly workerId: string;
  readonly state: "succeeded" | "failed" | "canceled";
  readonly digest: string | null;
  readonly cacheHit: boolean | null;
  readonly reason: string | null;
  readonly failedStep: string | null;
  readonly now: string;
}

export interface BuildStoreTx {
  /** False when another build of the same image hash is queued or running (single flight). */
  insertBuild(record: BuildRecord): Promise<boolean>;
  getBuild(id: string): Promise<BuildRecord | undefined>;
  /** The queued or running build of an image hash, if there is one. */
  activeBuild(imageHash: string): Promise<BuildRecord | undefined>;
  /** The newest succeeded build of an image hash. */
  newestSucceededBuild(imageHash: string): Promise<BuildRecord | undefined>;
  /** Newest first. */
  listBuilds(query: {
    readonly workspace: string;
    readonly name?: string;
    readonly before?: { readonly createdAt: string; readonly id: string };
    readonly limit: number;
  }): Promise<readonly BuildRecord[]>;
  /**
   * Atomically takes a queued build (the one named, or the oldest) for a worker: running, attempt
   * + 1, leased until `leaseUntil`. Undefined when there is none or another worker won.
   */
  claimBuild(
    lease: Omit<BuildLease, "id"> & { readonly id?: string },
  ): Promise<BuildRecord | undefined>;
  /** Extends the lease. Undefined when the worker no longer holds the build. */
  heartbeatBuild(lease: BuildLease): Promise<{ readonly cancelRequested: boolean } | undefined>;
  /** Ends a running build the worker holds; false when it no longer holds it. */
  finishBuild(end: BuildEnd): Promise<boolean>;
  /** Queued: canceled at once. Running: the worker is asked to stop. Returns the new record. */
  cancelBuild(key: {
    readonly id: string;
    readonly now: string;
    readonly reason: string;
  }): Promise<BuildRecord | undefined>;
  /**
   * Running builds whose lease ran out (their worker died): queued again, or failed once they
   * used up their attempts. Returns the builds changed.
   */
  expireLeases(key: { readonly now: string }): Promise<readonly BuildRecord[]>;
  /** Ids of queued builds, oldest first. */
  queuedBuildIds(limit: number): Promise<readonly string[]>;
  appendBuildLog(chunk: {
    readonly buildId: string;
    readonly attempt: number;
    readonly stream: LogStream;
    readonly text: string;
    readonly now: string;
  }): Promise<number>;
  /** Chunks after `afterSeq`, in order. */
  readBuildLog(query: {
    readonly buildId: string;
    readonly afterSeq: number;
    readonly limit: number;
  }): Promise<readonly LogChunkRecord[]>;
  /** Image hashes of builds that succeeded, with their newest finish time (for gc). */
  builtImages(): Promise<
    readonly {
      readonly imageHash: string;
      readonly imageName: string;
      readonly digest: string | null;
      readonly finishedAt: string;
    }[]
  >;
}
