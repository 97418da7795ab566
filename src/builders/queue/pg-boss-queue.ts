/**
 * The build queue of a team's PostgreSQL workspace, on pg-boss (a well-kept PostgreSQL job
 * queue: SKIP LOCKED fetching, retention, its own schema). A job carries a build id and nothing
 * else; the worker that gets it just looks at the build records sooner.
 */
import PgBoss from "pg-boss";
import { ExternalError } from "../../errors/index.js";
import type { BuildQueue } from "./build-queue.js";

export const BUILD_QUEUE_NAME = "envforge-builds";
/** pg-boss keeps its tables here, apart from envforge's. */
export const PG_BOSS_SCHEMA = "envforge_queue";

export interface PgBossQueueOptions {
  readonly url: string;
  /** How often an idle listener asks for jobs (default 1 s; pg-boss's minimum is 0.5 s). */
  readonly pollingIntervalSeconds?: number;
  readonly onError?: (error: Error) => void;
  /**
   * Workers and servers keep the queue's tables tidy (pg-boss maintenance); a short-lived
   * command that only queues does not need to (default true).
   */
  readonly maintain?: boolean;
}

export async function openPgBossQueue(options: PgBossQueueOptions): Promise<BuildQueue> {
  const boss = new PgBoss({
    connectionString: options.url,
    schema: PG_BOSS_SCHEMA,
    max: 2,
    application_name: "envforge-queue",
    // No cron schedules; envforge's own sweeper handles builds whose worker died.
    schedule: false,
    supervise: options.maintain ?? true,
  });
  boss.on("error", (error) => options.onError?.(error));
  try {
    await boss.start();
    // Jobs are wake-ups: one per build, kept briefly, never retried (the record decides).
    await boss.createQueue(BUILD_QUEUE_NAME, {
      name: BUILD_QUEUE_NAME,
      retryLimit: 0,
      retentionMinutes: 60,
    });
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw new ExternalError(
      `the build queue (pg-boss) could not start: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return {
    kind: "pg-boss",
    async notify(buildId) {
      await boss.send(BUILD_QUEUE_NAME, { buildId });
    },
    async listen(onWake) {
      await boss.work<{ buildId?: unknown }>(
        BUILD_QUEUE_NAME,
        { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1, batchSize: 10 },
        async (jobs) => {
          for (const job of jobs) {
            onWake(typeof job.data.buildId === "string" ? job.data.buildId : "");
          }
        },
      );
    },
    async ready() {
      // A query on the queue's own tables: the database answers and the schema is there.
      await boss.getQueueSize(BUILD_QUEUE_NAME);
    },
    close: () => boss.stop({ graceful: false, wait: true }),
  };
}
