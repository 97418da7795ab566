/**
 * `envforge worker`: take builds from the workspace until stopped (Ctrl-C / SIGTERM). Run as
 * many as you like, on as many machines, against one PostgreSQL workspace; each builds on its
 * own Docker engine (DOCKER_HOST). On SQLite it serves the builds of this machine.
 */
import type { Command } from "commander";
import * as z from "zod";
import { startWorkerHost } from "../../builders/worker-host.js";
import { checkDockerEndpoint } from "../../jobs/docker-endpoint.js";
import { engineJobRunner } from "../../jobs/docker-job-runner.js";
import { startJobWorker } from "../../jobs/job-worker.js";
import { createJobService } from "../../workspace/build-api.js";
import type { CliIo } from "../context.js";
import { writeEvent } from "../context.js";
import { openBuilds } from "../../client/open-builds.js";
import { openImageBuilder } from "../../client/open-image-builder.js";
import { secondsOption } from "../build/run-env-build.js";

const Options = z.object({
  concurrency: z.string().optional(),
  lease: z.string().optional(),
  poll: z.string().optional(),
  id: z.string().optional(),
  json: z.boolean().optional(),
});

export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command("worker")
    .description(
      "Take queued builds and offered jobs and run them on this machine's Docker engine, until stopped",
    )
    .option("--concurrency <n>", "builds at once (default 1)")
    .option("--lease <seconds>", "how long a build stays ours without renewal (default 30)")
    .option("--poll <seconds>", "how often to look for work and dead workers (default 2)")
    .option("--id <id>", "this worker's name in build records (default host-pid-random)")
    .option("--json", "print NDJSON on stdout: a `started` object, then one `report` per event")
    .addHelpText(
      "after",
      "\nExamples:\n  ENVFORGE_DATABASE_URL=postgres://… envforge worker --concurrency 2",
    )
    .action((options: unknown) => runWorker(io, options));
}

async function runWorker(io: CliIo, raw: unknown): Promise<void> {
  const options = Options.parse(raw);
  const leaseMs = secondsOption(options.lease, "--lease");
  const pollMs = secondsOption(options.poll, "--poll");
  const concurrency = options.concurrency === undefined ? 1 : Number(options.concurrency);
  // A worker that cannot reach its engine would take builds only to fail them: refuse to start.
  const engine = await checkDockerEndpoint(io.env);
  const opened = await openBuilds(io, { maintainQueue: true });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // Jobs a team's server offers run here too, on this worker's engine. Only a PostgreSQL
  // workspace's server offers jobs; on SQLite it runs them itself.
  const jobWorker =
    opened.store.kind !== "postgres"
      ? undefined
      : startJobWorker({
          jobs: createJobService({ store: opened.store }),
          runner: engineJobRunner(opened.settings.config.dockerHost, io.env),
          signal: stop.signal,
          ...(pollMs === undefined ? {} : { pollMs }),
          // A taken job is held under a lease as a build is, renewed as often.
          ...(leaseMs === undefined ? {} : { leaseMs }),
          ...(options.id === undefined ? {} : { workerId: `${options.id}-jobs` }),
          report: (line) => io.stderr.write(`${line}\n`),
        });
  try {
    const host = await startWorkerHost({
      onWake: () => jobWorker?.wake(),
      store: opened.store,
      queue: opened.queue,
      builder: openImageBuilder(opened.settings),
      signal: stop.signal,
      concurrency: Number.isSafeInteger(concurrency) && concurrency > 0 ? concurrency : 1,
      ...(options.id === undefined ? {} : { workerId: options.id }),
      ...(leaseMs === undefined ? {} : { leaseMs }),
      ...(pollMs === undefined ? {} : { pollMs }),
      report: (line) => {
        if (options.json === true) writeEvent(io, { event: "report", text: line });
        else io.stderr.write(`${line}\n`);
      },
    });
    const workers = host.workers.map((w) => w.workerId);
    if (options.json === true) {
      writeEvent(io, {
        event: "started",
        workers,
        store: opened.store.kind,
        queue: opened.queue.kind,
        engine,
      });
    } else {
      io.stderr.write(
        `envforge worker: ${workers.join(", ")} on ${opened.store.kind} ${opened.store.location} (queue: ${opened.queue.kind}), Docker engine ${engine}; Ctrl-C stops after the current build\n`,
      );
    }
    await Promise.all([host.done, jobWorker?.done]);
  } finally {
    // Also when the build workers could not start: the job loop must not outlive the store.
    stop.abort();
    await jobWorker?.done;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await opened.close();
  }
}
