/**
 * One job from record to end: mark it running, run it, store its output in chunks while passing
 * it on live, and record the exit code (succeeded only on 0), or why it could not run.
 */
import { bufferedLog } from "../builders/worker-log.js";
import type { Job, JobService } from "../workspace/build-api.js";
import type { JobRunner, JobRunRequest } from "./job-runner.js";

export interface RunJobOptions {
  readonly jobs: JobService;
  readonly runner: JobRunner;
  readonly job: Job;
  /** The build that made the image, when the job was created before it was known. */
  readonly buildId?: string;
  readonly request: Omit<JobRunRequest, "onOutput" | "command" | "network">;
  /** Live output (the CLI's terminal); the store gets it too. */
  readonly onOutput?: JobRunRequest["onOutput"];
  readonly logFlushMs?: number;
}

/**
 * Why a run was stopped, as the abort reason of its signal: the state its record ends in and
 * the reason it gives (a worker's job deadline, a lost lease). Any other abort is a cancel.
 */
export class JobStop extends Error {
  constructor(
    readonly state: "failed" | "canceled",
    message: string,
  ) {
    super(message);
    this.name = "JobStop";
  }
}

export async function runJob(options: RunJobOptions): Promise<Job> {
  const { jobs, runner, job } = options;
  const log = bufferedLog(
    { write: (chunk) => jobs.appendJobLog({ id: job.id, stream: chunk.stream, text: chunk.text }) },
    { flushMs: options.logFlushMs ?? 250 },
  );
  await jobs.startJob({
    id: job.id,
    imageName: options.request.image,
    ...(options.buildId === undefined ? {} : { buildId: options.buildId }),
  });
  let end: Parameters<JobService["finishJob"]>[0];
  try {
    const result = await runner.run({
      ...options.request,
      command: job.command,
      network: job.network,
      labels: { "dev.envforge.job-id": job.id, ...options.request.labels },
      onOutput: (chunk) => {
        options.onOutput?.(chunk);
        log.write(chunk);
      },
    });
    end = {
      id: job.id,
      state: result.exitCode === 0 ? "succeeded" : "failed",
      exitCode: result.exitCode,
      reason:
        result.reason ?? (result.exitCode === 0 ? null : `exited with code ${result.exitCode}`),
    };
  } catch (error) {
    const { signal } = options.request;
    const stop: unknown = signal?.aborted === true ? signal.reason : undefined;
    const message =
      stop instanceof JobStop
        ? stop.message
        : error instanceof Error
          ? error.message
          : String(error);
    end = {
      id: job.id,
      state:
        stop instanceof JobStop ? stop.state : signal?.aborted === true ? "canceled" : "failed",
      exitCode: null,
      reason: message,
    };
    log.push({ stream: "envforge", text: `job ${end.state}: ${message}` });
  }
  await log.close();
  return jobs.finishJob(end);
}
