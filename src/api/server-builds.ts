/**
 * What `envforge serve` needs for its build and job routes: the services, the queue, a job
 * runner on this machine's engine, and on SQLite the in-process worker (there is no other).
 */
import type { BuildRouteOptions } from "./routes/builds-routes.js";
import type { BuildQueue } from "../builders/queue/build-queue.js";
import { inProcessQueue } from "../builders/queue/in-process-queue.js";
import { openPgBossQueue } from "../builders/queue/pg-boss-queue.js";
import { startWorkerHost } from "../builders/worker-host.js";
import type { SurfaceSettings } from "../host/config.js";
import { engineJobRunner } from "../jobs/docker-job-runner.js";
import { createBuildService, createJobService } from "../workspace/build-api.js";
import type { BuildServiceOptions } from "../workspace/build-api.js";
import type { EnvironmentService, WorkspaceStore } from "../workspace/index.js";
import { DATABASE_URL_VARIABLE } from "../workspace/index.js";
import { openImageBuilder } from "../client/open-image-builder.js";

export interface ServerBuilds {
  readonly routes: BuildRouteOptions;
  close(): Promise<void>;
}

export async function openServerBuilds(options: {
  /** The server's configuration, read once at start. */
  readonly settings: SurfaceSettings;
  readonly store: WorkspaceStore;
  readonly service: EnvironmentService;
  readonly report: (line: string) => void;
  /** Pins at the first build the bases registration could not (the server's lock resolver). */
  readonly pinBases?: BuildServiceOptions["pinBases"];
}): Promise<ServerBuilds> {
  const { settings, store, service } = options;
  const { env } = settings;
  const url = env[DATABASE_URL_VARIABLE]?.trim();
  const queue: BuildQueue =
    store.kind === "postgres" && url !== undefined
      ? await openPgBossQueue({ url })
      : inProcessQueue();
  const stop = new AbortController();
  const worker =
    store.kind === "sqlite"
      ? await startWorkerHost({
          store,
          queue,
          builder: openImageBuilder(settings),
          signal: stop.signal,
          report: options.report,
        })
      : undefined;
  return {
    routes: {
      builds: createBuildService({
        store,
        versions: service,
        ...(options.pinBases === undefined ? {} : { pinBases: options.pinBases }),
      }),
      jobs: createJobService({ store }),
      queue,
      jobRunner: engineJobRunner(settings.config.dockerHost, env),
      // A team's server builds nothing itself: builds and jobs go to `envforge worker`s.
      dispatchJobs: store.kind === "postgres",
    },
    close: async () => {
      stop.abort();
      await worker?.done;
      await queue.close();
    },
  };
}
