/**
 * A worker process's wiring: N build workers on one store, woken by the queue (pg-boss on
 * PostgreSQL, in-process on SQLite) and by their own poll, until the signal aborts.
 */
import type { WorkspaceStore } from "../workspace/store.js";
import type { Clock } from "../workspace/clock.js";
import { createBuildLeases } from "../workspace/build-api.js";
import type { ImageBuilder } from "./image-builder.js";
import type { BuildQueue } from "./queue/build-queue.js";
import type { BuildWorker } from "./worker.js";
import { createBuildWorker } from "./worker.js";

export interface WorkerHostOptions {
  readonly store: WorkspaceStore;
  readonly queue: BuildQueue;
  readonly builder: ImageBuilder;
  readonly signal: AbortSignal;
  /** Builds at once in this process (default 1). */
  readonly concurrency?: number;
  readonly workerId?: string;
  readonly leaseMs?: number;
  readonly heartbeatMs?: number;
  readonly pollMs?: number;
  readonly clock?: Clock;
  readonly report?: (line: string) => void;
  /** Also called on every wake-up (the job worker of `envforge worker` listens here). */
  readonly onWake?: () => void;
}

export interface WorkerHost {
  readonly workers: readonly BuildWorker[];
  /** Resolves when every worker has stopped (after the signal aborted). */
  readonly done: Promise<void>;
}

export async function startWorkerHost(options: WorkerHostOptions): Promise<WorkerHost> {
  const leases = createBuildLeases({
    store: options.store,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const count = Math.max(1, options.concurrency ?? 1);
  const workers = Array.from({ length: count }, (_, i) =>
    createBuildWorker({
      leases,
      builder: options.builder,
      ...(options.workerId === undefined
        ? {}
        : { workerId: count === 1 ? options.workerId : `${options.workerId}-${i + 1}` }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.report === undefined ? {} : { report: options.report }),
    }),
  );
  await options.queue.listen(() => {
    for (const worker of workers) worker.wake();
    options.onWake?.();
  });
  const done = Promise.all(
    workers.map((worker) =>
      worker.run({
        signal: options.signal,
        ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      }),
    ),
  ).then(() => undefined);
  return { workers, done };
}
