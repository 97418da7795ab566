/**
 * What workers do to build records: claim one under a lease, renew the lease while building,
 * write log chunks, and end it. A worker that stops renewing (it died, or lost its database)
 * loses the build: `expireLeases` queues it again for another worker, up to its attempts.
 */
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import type { Build } from "./build-model.js";
import type { BuildEnd, LogStream } from "./build-store.js";
import { buildView } from "./build-view.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { WorkspaceStore } from "./store.js";
import { decodeDefinition, decodeLock, decodeUrlCredentials } from "./stored-values.js";
import { restoreUrlCredentials } from "./url-credentials.js";

export interface ClaimedBuild {
  readonly build: Build;
  readonly definition: Definition;
  readonly lock?: Lock;
}

export interface BuildLeases {
  /** Takes the named queued build, or the oldest one; undefined when none is left to take. */
  claim(input: {
    readonly workerId: string;
    readonly leaseMs: number;
    readonly id?: string;
  }): Promise<ClaimedBuild | undefined>;
  /** Renews the lease; undefined when the worker lost the build. */
  heartbeat(input: {
    readonly id: string;
    readonly workerId: string;
    readonly leaseMs: number;
  }): Promise<{ readonly cancelRequested: boolean } | undefined>;
  finish(end: Omit<BuildEnd, "now">): Promise<boolean>;
  log(chunk: {
    readonly id: string;
    readonly attempt: number;
    readonly stream: LogStream;
    readonly text: string;
  }): Promise<void>;
  /** Re-queues (or fails, after the last attempt) builds whose worker stopped renewing. */
  expireLeases(): Promise<readonly Build[]>;
  queuedIds(limit: number): Promise<readonly string[]>;
  /** A build context file's stored bytes by `sha256:<hex>` (the builder verifies them). */
  readContextContent(sha256: string): Promise<Uint8Array | undefined>;
}

export function createBuildLeases(options: {
  readonly store: WorkspaceStore;
  readonly clock?: Clock;
}): BuildLeases {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const times = (leaseMs: number) => {
    const now = clock();
    return {
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    };
  };
  return {
    async claim({ workerId, leaseMs, id }) {
      const { now, leaseUntil } = times(leaseMs);
      const record = await store.write(async (tx) => {
        const claimed = await tx.claimBuild({
          workerId,
          now,
          leaseUntil,
          ...(id === undefined ? {} : { id }),
        });
        if (claimed === undefined) return undefined;
        await tx.appendBuildLog({
          buildId: claimed.id,
          attempt: claimed.attempt,
          stream: "envforge",
          // The attempt count matters only once a worker was lost and the build was queued again.
          text:
            claimed.attempt > 1
              ? `attempt ${claimed.attempt} of ${claimed.maxAttempts} taken by worker ${workerId}\n`
              : `taken by worker ${workerId}\n`,
          now,
        });
        return claimed;
      });
      if (record === undefined) return undefined;
      const lock = decodeLock(record.lockJson);
      // The one place credentials of channel and index URLs leave the store: to the builder.
      const credentials = await store.read((tx) =>
        tx.getUrlCredentials({
          workspace: record.workspace,
          definitionHash: record.definitionHash,
        }),
      );
      return {
        build: buildView(record),
        definition: restoreUrlCredentials(
          decodeDefinition(record.definitionJson),
          decodeUrlCredentials(credentials),
        ),
        ...(lock === undefined ? {} : { lock }),
      };
    },
    heartbeat({ id, workerId, leaseMs }) {
      const { now, leaseUntil } = times(leaseMs);
      return store.write((tx) => tx.heartbeatBuild({ id, workerId, now, leaseUntil }));
    },
    finish(end) {
      const now = clock().toISOString();
      return store.write(async (tx) => {
        const done = await tx.finishBuild({ ...end, now });
        if (done) {
          const what =
            end.state === "succeeded"
              ? `succeeded: ${end.digest ?? "no digest"}${end.cacheHit === true ? " (cache hit)" : ""}`
              : // A builder's reason may already start "build failed…": say it once.
                (end.reason ?? "").startsWith(`build ${end.state}`)
                ? (end.reason ?? "").slice("build ".length)
                : `${end.state}: ${end.reason ?? ""}`;
          const record = await tx.getBuild(end.id);
          await tx.appendBuildLog({
            buildId: end.id,
            attempt: record?.attempt ?? 0,
            stream: "envforge",
            text: `build ${what}\n`,
            now,
          });
        }
        return done;
      });
    },
    async log({ id, attempt, stream, text }) {
      const now = clock().toISOString();
      await store.write((tx) => tx.appendBuildLog({ buildId: id, attempt, stream, text, now }));
    },
    async expireLeases() {
      const now = clock().toISOString();
      const records = await store.write(async (tx) => {
        const expired = await tx.expireLeases({ now });
        for (const record of expired) {
          await tx.appendBuildLog({
            buildId: record.id,
            attempt: record.attempt,
            stream: "envforge",
            text:
              record.state === "queued"
                ? `the worker of attempt ${record.attempt} stopped renewing its lease; queued again\n`
                : `failed: ${record.reason ?? ""}\n`,
            now,
          });
        }
        return expired;
      });
      return records.map(buildView);
    },
    queuedIds(limit) {
      return store.read((tx) => tx.queuedBuildIds(limit));
    },
    readContextContent(sha256) {
      return store.read((tx) => tx.getContextContent(sha256));
    },
  };
}
