/**
 * One job worker process for the job lease test: a SQLite or PostgreSQL store and a runner that
 * runs the command as a child process (no engine), as `envforge worker` runs offered jobs.
 * argv[2] is a JSON job; it prints `ready` once its loop runs, then one line per job event.
 */
import * as z from "zod";
import { startJobWorker } from "../../src/jobs/job-worker.js";
import { createJobService } from "../../src/workspace/build-api.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import { processJobRunner } from "../build-queue/process-job-runner.js";

const WorkerJob = z.object({
  kind: z.enum(["sqlite", "postgres"]),
  location: z.string(),
  workerId: z.string(),
  leaseMs: z.number(),
});
export type JobWorkerJob = z.infer<typeof WorkerJob>;

const job = WorkerJob.parse(JSON.parse(process.argv[2] ?? "{}"));
const clock = () => new Date();
const store =
  job.kind === "sqlite"
    ? await openSqliteStore({ path: job.location, clock })
    : await openPostgresStore({ url: job.location, clock });
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());
const worker = startJobWorker({
  jobs: createJobService({ store }),
  runner: processJobRunner(),
  signal: stop.signal,
  workerId: job.workerId,
  leaseMs: job.leaseMs,
  heartbeatMs: Math.floor(job.leaseMs / 4),
  pollMs: 50,
  report: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write("ready\n");
await worker.done;
await store.close();
