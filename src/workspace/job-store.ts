/** The store port's part for jobs: a command run in an environment's image, and its log. */
import type { LogChunkRecord, LogStream } from "./build-store.js";

export const JOB_STATES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobRecord {
  readonly id: string;
  readonly workspace: string;
  readonly name: string;
  readonly version: number;
  readonly imageHash: string;
  readonly imageName: string;
  readonly buildId: string | null;
  readonly commandJson: string;
  /** Names of the variables given; their values may be secrets and are never stored. */
  readonly envKeysJson: string;
  readonly workingDir: string | null;
  readonly network: string;
  readonly state: JobState;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly logChunks: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly updatedAt: string;
}

export interface JobStoreTx {
  insertJob(record: JobRecord): Promise<void>;
  getJob(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  listJobs(query: {
    readonly workspace: string;
    readonly before?: { readonly createdAt: string; readonly id: string };
    readonly limit: number;
  }): Promise<readonly JobRecord[]>;
  /** Running; the image and build are recorded when they were not known at creation. */
  startJob(key: {
    readonly id: string;
    readonly now: string;
    readonly imageName?: string;
    readonly buildId?: string;
  }): Promise<boolean>;
  finishJob(key: {
    readonly id: string;
    readonly state: "succeeded" | "failed" | "canceled";
    readonly exitCode: number | null;
    readonly reason: string | null;
    readonly now: string;
  }): Promise<boolean>;
  /** The worker that took the job holds it until `leaseUntil`; false when it is not queued. */
  leaseJob(key: {
    readonly id: string;
    readonly workerId: string;
    readonly now: string;
    readonly leaseUntil: string;
  }): Promise<boolean>;
  /** Renews the lease; false when the job is no longer this worker's to run (or has ended). */
  /** Ends whatever hold a queued job is under (an offered job's lease starts when taken). */
  releaseJob(key: { readonly id: string; readonly now: string }): Promise<boolean>;
  heartbeatJob(key: {
    readonly id: string;
    readonly workerId: string;
    readonly now: string;
    readonly leaseUntil: string;
  }): Promise<boolean>;
  /**
   * Fails every unfinished job whose lease ran out before `now` (its worker stopped renewing:
   * it died, or lost the store), with the reason given; returns them as they are now.
   */
  expireJobLeases(key: {
    readonly now: string;
    readonly reason: string;
  }): Promise<readonly (JobRecord & { readonly workerId: string })[]>;
  appendJobLog(chunk: {
    readonly jobId: string;
    readonly stream: LogStream;
    readonly text: string;
    readonly now: string;
  }): Promise<number>;
  readJobLog(query: {
    readonly jobId: string;
    readonly afterSeq: number;
    readonly limit: number;
  }): Promise<readonly LogChunkRecord[]>;
}
