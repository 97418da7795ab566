/**
 * A build worker: takes queued builds from the store under a lease, runs the image builder,
 * renews the lease while it builds, writes the log in chunks, and records how the build ended.
 * Any number of workers (processes, machines) may share one store; the lease decides who builds.
 * Between builds it re-queues builds whose worker died (their lease ran out).
 */
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import type { Build, BuildLeases, ClaimedBuild } from "../workspace/build-api.js";
import { renewLease } from "../workspace/lease-renewal.js";
import type { BuildProgress, ImageBuilder } from "./image-builder.js";
import { BuildFailedError } from "./image-builder.js";
import { bufferedLog } from "./worker-log.js";

export interface BuildWorkerOptions {
  readonly leases: BuildLeases;
  readonly builder: ImageBuilder;
  /** Default: `<hostname>-<pid>-<random>`. */
  readonly workerId?: string;
  /** How long a claim holds without renewal (default 30 s). */
  readonly leaseMs?: number;
  /** How often the lease is renewed (default a third of leaseMs). */
  readonly heartbeatMs?: number;
  /** How often buffered log lines are written (default 250 ms). */
  readonly logFlushMs?: number;
  /** Progress for the operator: one line per build start and end. */
  readonly report?: (line: string) => void;
  /** Progress of the builds this worker runs (not stored: for a display in this process). */
  readonly onProgress?: (buildId: string, progress: BuildProgress) => void;
  /**
   * How long a stopped (canceled, timed-out) build may take to wind down before the worker
   * records its end anyway (default 10 s): an engine call that ignores the abort cannot keep
   * the build `running`.
   */
  readonly stopGraceMs?: number;
  /** Wall-clock milliseconds for the build's deadline; default Date.now. */
  readonly now?: () => number;
}

export interface BuildWorker {
  readonly workerId: string;
  /** Claims and runs one build (the one named, or the oldest queued); undefined if none. */
  runOnce(id?: string): Promise<Build | undefined>;
  /**
   * Takes builds until `signal` aborts: after each build, whenever `wake` is called, and at
   * least every `pollMs` (default 2 s), which is also how often dead workers' leases are swept.
   */
  run(options: { readonly signal: AbortSignal; readonly pollMs?: number }): Promise<void>;
  /** Something was queued: look now instead of at the next poll. */
  wake(): void;
}

type StopReason = "canceled" | "timeout" | "lost";

export function createBuildWorker(options: BuildWorkerOptions): BuildWorker {
  const { leases, builder } = options;
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3));
  const report = options.report ?? (() => undefined);
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const now = options.now ?? Date.now;
  let wakeUp: (() => void) | undefined;

  const onProgress = options.onProgress;

  async function execute(claimed: ClaimedBuild): Promise<Build> {
    const { build } = claimed;
    const stop = new AbortController();
    let stopReason: StopReason | undefined;
    const stopWith = (reason: StopReason): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      stop.abort(new Error(`build ${reason}`));
    };
    const log = bufferedLog(
      {
        write: (chunk) =>
          leases.log({
            id: build.id,
            attempt: build.attempt,
            stream: chunk.stream,
            text: chunk.text,
          }),
      },
      { flushMs: options.logFlushMs ?? 250 },
    );
    const timeout = setTimeout(() => stopWith("timeout"), build.timeoutMs);
    // The lease never reaches past the build's deadline, its grace to wind down and one
    // heartbeat, so the worker's own end is recorded before a sweeper may take the build.
    const lease = renewLease({
      leaseEnd: now() + build.timeoutMs + stopGraceMs + heartbeatMs,
      leaseMs,
      heartbeatMs,
      now,
      renew: async (forMs) => {
        const held = await leases.heartbeat({ id: build.id, workerId, leaseMs: forMs });
        if (held === undefined) stopWith("lost");
        else if (held.cancelRequested) stopWith("canceled");
      },
      onError: (error) =>
        report(`worker ${workerId}: lease renewal of ${build.id} failed: ${message(error)}`),
    });
    report(
      `worker ${workerId}: building ${build.id} (${build.name} v${build.version}, attempt ${build.attempt})`,
    );

    let end: Parameters<BuildLeases["finish"]>[0];
    try {
      const building = builder.build({
        definition: claimed.definition,
        definitionHash: build.definitionHash,
        ...(claimed.lock === undefined ? {} : { lock: claimed.lock }),
        // Build contexts come from the store this worker shares, on whichever machine it runs.
        contextContent: { read: (sha256) => leases.readContextContent(sha256) },
        // No registry: the image stays in this worker's engine (requests allow that only where
        // this worker is the one that runs the jobs, see build-service.ts).
        ...(build.image.registry === null ? {} : { registry: build.image.registry }),
        signal: stop.signal,
        onLog: (line) => log.push(line),
        ...(onProgress === undefined
          ? {}
          : { onProgress: (progress: BuildProgress) => onProgress(build.id, progress) }),
      });
      // Once the race is decided by the grace, a late rejection must not go unhandled.
      building.catch(() => undefined);
      const outcome = await Promise.race([building, windDown(stop.signal, stopGraceMs)]);
      end = {
        id: build.id,
        workerId,
        state: "succeeded",
        digest: outcome.digest,
        cacheHit: outcome.cacheHit,
        reason: null,
        failedStep: null,
      };
    } catch (error) {
      // The log already holds every line the builder printed: its last lines are not repeated.
      end = failure(build, workerId, error, stopReason);
    } finally {
      clearTimeout(timeout);
      await lease.stop();
    }
    await log.close().catch((error: unknown) => {
      report(`worker ${workerId}: writing the log of ${build.id} failed: ${message(error)}`);
    });
    if (stopReason === "lost") {
      report(`worker ${workerId}: lost the lease of ${build.id}; another worker has it`);
    } else if (!(await leases.finish(end))) {
      report(`worker ${workerId}: ${build.id} was no longer ours when it ended; result dropped`);
    } else {
      report(
        `worker ${workerId}: ${build.id} ${end.state}${end.reason === null ? "" : `: ${end.reason}`}`,
      );
    }
    return { ...build, state: end.state, reason: end.reason };
  }

  const worker: BuildWorker = {
    workerId,
    async runOnce(id) {
      const claimed = await leases.claim({
        workerId,
        leaseMs,
        ...(id === undefined ? {} : { id }),
      });
      return claimed === undefined ? undefined : execute(claimed);
    },
    async run({ signal, pollMs = 2000 }) {
      while (!signal.aborted) {
        try {
          for (const expired of await leases.expireLeases()) {
            report(`worker ${workerId}: ${expired.id} lost its worker; now ${expired.state}`);
          }
          if ((await worker.runOnce()) !== undefined) continue;
        } catch (error) {
          report(`worker ${workerId}: ${message(error)}`);
        }
        await new Promise<void>((resolve) => {
          const done = (): void => {
            wakeUp = undefined;
            signal.removeEventListener("abort", done);
            resolve();
          };
          wakeUp = done;
          signal.addEventListener("abort", done);
          void sleep(pollMs, undefined, { ref: false }).then(done);
        });
      }
    },
    wake() {
      wakeUp?.();
    },
  };
  return worker;
}

/** Rejects with the abort reason `graceMs` after `signal` aborts; never settles otherwise. */
function windDown(signal: AbortSignal, graceMs: number): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    signal.addEventListener(
      "abort",
      () => {
        const timer = setTimeout(() => reject(signal.reason), graceMs);
        timer.unref();
      },
      { once: true },
    );
  });
}

function failure(
  build: Build,
  workerId: string,
  error: unknown,
  stopReason: StopReason | undefined,
): Parameters<BuildLeases["finish"]>[0] {
  const base = { id: build.id, workerId, digest: null, cacheHit: null };
  if (stopReason === "canceled") {
    return { ...base, state: "canceled", reason: "canceled by request", failedStep: null };
  }
  if (stopReason === "timeout") {
    return {
      ...base,
      state: "failed",
      reason: `timed out after ${duration(build.timeoutMs)}`,
      failedStep: null,
    };
  }
  if (error instanceof BuildFailedError && error.step !== undefined) {
    return {
      ...base,
      state: "failed",
      // The builder's message usually names the step already; say it once.
      reason: error.message.includes(error.step)
        ? error.message
        : `step ${error.step} failed: ${error.message}`,
      failedStep: error.step,
    };
  }
  return { ...base, state: "failed", reason: message(error), failedStep: null };
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
