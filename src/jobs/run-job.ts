/**
 * One job from record to end: mark it running, run it, store its output in chunks while passing
 * it on live, and record the exit code (succeeded only on 0), or why it could not run.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { bufferedLog } from "../builders/worker-log.js";
import { renewLease } from "../workspace/lease-renewal.js";
import type { LeaseRenewal } from "../workspace/lease-renewal.js";
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
  /**
   * This process runs a job nobody took (`envforge run`, a server without workers): it holds
   * the job under a lease it renews while the job runs, so a dead process leaves a job that
   * fails when the lease ends (expireJobLeases), not one `running` forever. A worker that took
   * the job already holds its lease and gives none.
   */
  readonly holder?: JobHolder;
}

export interface JobHolder {
  readonly workerId: string;
  /** Default 30 s, renewed every third of it. */
  readonly leaseMs?: number;
  readonly heartbeatMs?: number;
  /** A renewal that failed (the store was out of reach): the lease may still hold. */
  readonly report?: (line: string) => void;
}

/** A worker id for a process that runs jobs itself: host, pid and a random part. */
export function processWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
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
  const { jobs, job } = options;
  const log = bufferedLog(
    { write: (chunk) => jobs.appendJobLog({ id: job.id, stream: chunk.stream, text: chunk.text }) },
    { flushMs: options.logFlushMs ?? 250 },
  );
  const lease =
    options.holder === undefined ? undefined : await keepJobLease(jobs, job, options.holder);
  try {
    return await runHeld(options, log);
  } finally {
    await lease?.stop();
  }
}

async function runHeld(options: RunJobOptions, log: ReturnType<typeof bufferedLog>): Promise<Job> {
  const { jobs, runner, job } = options;
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

/**
 * Holds a queued job for this process and renews its lease until stopped, with no end but the
 * caller's: for a job this process builds and then runs or offers (a server without workers
 * holds it from the request on, so a server that dies mid-build leaves no job `queued` forever).
 */
export async function keepJobLease(
  jobs: JobService,
  job: Job,
  holder: JobHolder,
): Promise<LeaseRenewal> {
  const leaseMs = holder.leaseMs ?? 30_000;
  await jobs.holdJob({ id: job.id, workerId: holder.workerId, leaseMs });
  return renewLease({
    leaseEnd: Number.POSITIVE_INFINITY,
    leaseMs,
    heartbeatMs: holder.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)),
    now: Date.now,
    renew: async (forMs) => {
      await jobs.renewJobLease({ id: job.id, workerId: holder.workerId, leaseMs: forMs });
    },
    onError: (error) =>
      holder.report?.(
        `job ${job.id}: lease renewal failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });
}
