/**
 * A worker's job loop (issue 13, point 8): takes the jobs a team's server offers (their images
 * built) and runs them on this worker's engine, one at a time, until the signal aborts. Woken by
 * the queue when a job is offered, and by its own poll otherwise. A job is taken by one worker
 * only (taking deletes the offer in the store).
 *
 * A taken job is held under a lease, as a build is (builders/worker.ts): renewed while it runs,
 * never past the job's deadline (this worker's job timeout, the grace to wind down, and one
 * renewal). Each pass of the loop first fails the jobs of workers that stopped renewing (a killed
 * worker's job does not stay `running`); job-service.ts says why they are failed, not run again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Job, JobService, TakenJob } from "../workspace/build-api.js";
import { renewLease } from "../workspace/lease-renewal.js";
import type { JobRunner } from "./job-runner.js";
import { JobStop, processWorkerId, runJob } from "./run-job.js";

export interface JobWorkerOptions {
  readonly jobs: JobService;
  readonly runner: JobRunner;
  readonly signal: AbortSignal;
  /** How often to look for offered jobs without a wake-up (default 2 s). */
  readonly pollMs?: number;
  readonly report?: (line: string) => void;
  /** Default: `<hostname>-<pid>-<random>`. */
  readonly workerId?: string;
  /** How long a taken job is held without renewal (default 30 s). */
  readonly leaseMs?: number;
  /** How often the lease is renewed (default a third of leaseMs). */
  readonly heartbeatMs?: number;
  /** A job's deadline: it is stopped and failed when it runs longer (default 24 h). */
  readonly jobTimeoutMs?: number;
  /**
   * How long a stopped job may take to wind down before the worker records its end anyway
   * (default 10 s): a runner that ignores the stop cannot keep the job `running`.
   */
  readonly stopGraceMs?: number;
  /** Wall-clock milliseconds for the deadline; default Date.now. */
  readonly now?: () => number;
}

export interface JobWorker {
  readonly workerId: string;
  /** Look for a job now (the queue said one was offered). */
  wake(): void;
  /** Resolves when the loop has stopped, after the signal aborted and the running job ended. */
  readonly done: Promise<void>;
}

export const DEFAULT_JOB_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { jobs, runner, signal } = options;
  const workerId = options.workerId ?? processWorkerId();
  const leaseMs = options.leaseMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3));
  const jobTimeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const now = options.now ?? Date.now;
  const report = options.report ?? (() => undefined);
  let wakeUp: (() => void) | undefined;
  let woken = false;
  const wake = (): void => {
    woken = true;
    wakeUp?.();
  };
  const idle = async (): Promise<void> => {
    if (woken) return;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    wakeUp = () => stop.abort();
    try {
      await sleep(options.pollMs ?? 2000, undefined, { signal: stop.signal });
    } catch {
      // woken or stopped
    } finally {
      wakeUp = undefined;
      signal.removeEventListener("abort", onAbort);
    }
  };

  /** Runs a taken job, renewing its lease until it ends or its deadline passes. */
  const runLeased = async (taken: TakenJob): Promise<Job> => {
    const { job } = taken;
    const stop = new AbortController();
    const stopWith = (state: "failed" | "canceled", reason: string): void => {
      if (!stop.signal.aborted) stop.abort(new JobStop(state, reason));
    };
    const onAbort = (): void => stopWith("canceled", `worker ${workerId} was stopped`);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const timeout = setTimeout(
      () =>
        stopWith("failed", `timed out after ${jobTimeoutMs / 1000} s (the worker's job deadline)`),
      jobTimeoutMs,
    );
    const lease = renewLease({
      leaseEnd: now() + jobTimeoutMs + stopGraceMs + heartbeatMs,
      leaseMs,
      heartbeatMs,
      now,
      renew: async (forMs) => {
        const held = await jobs.renewJobLease({ id: job.id, workerId, leaseMs: forMs });
        if (!held) stopWith("failed", `worker ${workerId} lost the job's lease`);
      },
      onError: (error) =>
        report(`job worker ${workerId}: lease renewal of ${job.id} failed: ${message(error)}`),
    });
    try {
      const running = runJob({
        jobs,
        runner,
        job,
        ...(taken.buildId === undefined ? {} : { buildId: taken.buildId }),
        request: {
          image: taken.image,
          pull: taken.pull,
          env: taken.env,
          mounts: [],
          signal: stop.signal,
        },
      });
      // Once the grace decides, a late end of the run must not go unhandled.
      running.catch(() => undefined);
      const ended = await Promise.race([running, graceAfter(stop.signal, stopGraceMs)]);
      if (ended !== "grace") return ended;
      const reason: unknown = stop.signal.reason;
      const stopped = reason instanceof JobStop ? reason : new JobStop("canceled", "stopped");
      report(`job worker ${workerId}: ${job.id} did not stop within ${stopGraceMs / 1000} s`);
      return await jobs.finishJob({
        id: job.id,
        state: stopped.state,
        exitCode: null,
        reason: `${stopped.message}; it did not stop within ${stopGraceMs / 1000} s`,
      });
    } finally {
      clearTimeout(timeout);
      await lease.stop();
      signal.removeEventListener("abort", onAbort);
    }
  };

  // Dead workers' jobs are failed before each take and, while this worker runs a long job, every
  // poll: a job left by a dead worker does not wait for a free one.
  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> =>
    (sweeping ??= (async () => {
      try {
        for (const expired of await jobs.expireJobLeases()) {
          report(`job ${expired.id} lost its worker; now ${expired.state}`);
        }
      } finally {
        sweeping = undefined;
      }
    })());
  const sweeper = setInterval(() => {
    sweep().catch((error: unknown) => report(`job worker: ${message(error)}`));
  }, options.pollMs ?? 2000);
  sweeper.unref();

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      woken = false;
      let taken: TakenJob | undefined;
      try {
        await sweep();
        taken = await jobs.takeJob({ workerId, leaseMs });
      } catch (error) {
        report(`job worker: ${message(error)}`);
        await idle();
        continue;
      }
      if (taken === undefined) {
        await idle();
        continue;
      }
      options.report?.(`job ${taken.job.id} (${taken.job.name}@${taken.job.version}) taken`);
      const ended = await runLeased(taken);
      options.report?.(
        `job ${ended.id} ${ended.state}${ended.exitCode === null ? "" : ` (exit ${ended.exitCode})`}`,
      );
    }
  };
  const done = loop().finally(() => clearInterval(sweeper));
  return { workerId, wake, done };
}

/** Resolves with "grace" `graceMs` after `signal` aborts; never settles otherwise. */
function graceAfter(signal: AbortSignal, graceMs: number): Promise<"grace"> {
  return new Promise((resolve) => {
    const start = (): void => {
      setTimeout(() => resolve("grace"), graceMs).unref();
    };
    if (signal.aborted) start();
    else signal.addEventListener("abort", start, { once: true });
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
