/**
 * A worker's job loop (issue 13, point 8): takes the jobs a team's server offers (their images
 * built) and runs them on this worker's engine, one at a time, until the signal aborts. Woken by
 * the queue when a job is offered, and by its own poll otherwise. A job is taken by one worker
 * only (taking deletes the offer in the store).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JobService } from "../workspace/build-api.js";
import type { JobRunner } from "./job-runner.js";
import { runJob } from "./run-job.js";

export interface JobWorkerOptions {
  readonly jobs: JobService;
  readonly runner: JobRunner;
  readonly signal: AbortSignal;
  /** How often to look for offered jobs without a wake-up (default 2 s). */
  readonly pollMs?: number;
  readonly report?: (line: string) => void;
}

export interface JobWorker {
  /** Look for a job now (the queue said one was offered). */
  wake(): void;
  /** Resolves when the loop has stopped, after the signal aborted and the running job ended. */
  readonly done: Promise<void>;
}

export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const { jobs, runner, signal } = options;
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
  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      woken = false;
      let taken: Awaited<ReturnType<JobService["takeJob"]>>;
      try {
        taken = await jobs.takeJob();
      } catch (error) {
        options.report?.(`job worker: ${error instanceof Error ? error.message : String(error)}`);
        await idle();
        continue;
      }
      if (taken === undefined) {
        await idle();
        continue;
      }
      options.report?.(`job ${taken.job.id} (${taken.job.name}@${taken.job.version}) taken`);
      const ended = await runJob({
        jobs,
        runner,
        job: taken.job,
        ...(taken.buildId === undefined ? {} : { buildId: taken.buildId }),
        request: { image: taken.image, pull: taken.pull, env: taken.env, mounts: [], signal },
      });
      options.report?.(
        `job ${ended.id} ${ended.state}${ended.exitCode === null ? "" : ` (exit ${ended.exitCode})`}`,
      );
    }
  };
  return { wake, done: loop() };
}
