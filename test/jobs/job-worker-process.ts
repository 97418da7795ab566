/**
 * One job worker process for the job lease test: a SQLite or PostgreSQL store and a runner that
 * runs the command as a child process (no engine), as `envforge worker` runs offered jobs.
 * argv[2] is a JSON job; it prints `ready` once its loop runs, then one line per job event.
 */
import * as z from "zod";
import { startJobWorker } from "../../src/jobs/job-worker.js";
import { createJobService } from "../../src/workspace/build-api.js";
import { processJobRunner } from "../build-queue/process-job-runner.js";
import { StoreAt, openStoreAt } from "./store-at.js";

const WorkerJob = StoreAt.extend({
  workerId: z.string(),
  leaseMs: z.number(),
});
export type JobWorkerJob = z.infer<typeof WorkerJob>;

const job = WorkerJob.parse(JSON.parse(process.argv[2] ?? "{}"));
const store = await openStoreAt(job);
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
