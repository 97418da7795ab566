/**
 * The part of the store port through which a server hands jobs to workers (issue 13, point 8):
 * the server offers a job once its image is built; a worker takes the oldest offer, which
 * deletes it in the same transaction, so two workers never run one job and the job's
 * environment values leave the store with the worker that runs it.
 */
export interface JobOfferRecord {
  readonly jobId: string;
  /** What the runner is given: `<name>@<digest>`, `<name>:<tag>` or a local image id. */
  readonly image: string;
  readonly pull: boolean;
  readonly buildId: string | null;
  /** The job's environment values (canonical JSON of a string record). */
  readonly envJson: string;
  readonly createdAt: string;
}

export interface JobOfferStoreTx {
  offerJob(record: JobOfferRecord): Promise<void>;
  /** Takes (and deletes) the oldest offer; undefined when there is none. */
  takeJobOffer(): Promise<JobOfferRecord | undefined>;
}
