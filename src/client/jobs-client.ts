/**
 * The job calls a surface makes, in-process (the local store) or over HTTP (`--server`), so
 * `job list | show | logs` print the same either way. Submitting a job is the server's
 * (`submitJob`): in-process, `envforge run` runs the job in its own process instead, with the
 * working folder mounted, which a server cannot do with the caller's files.
 */
import type { JobEvent, JobService } from "../workspace/build-api.js";
import type { Job } from "../workspace/build-api.js";

export interface SubmitJobInput {
  readonly workspace?: string;
  readonly name: string;
  readonly version?: number;
  readonly label?: string;
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly network?: "none" | "host";
}

export interface JobsClient extends Pick<JobService, "getJob" | "listJobs" | "readJobLog"> {
  /** Where the jobs live, for messages. */
  readonly location: string;
  followJob(input: {
    readonly workspace?: string;
    readonly id: string;
    readonly afterSeq?: number;
  }): AsyncIterable<JobEvent>;
  close(): Promise<void>;
}

/** A jobs client on a server, which also runs jobs on the server's engine. */
export interface ServerJobsClient extends JobsClient {
  submitJob(input: SubmitJobInput): Promise<Job>;
}
