/**
 * One build worker process for the kill test: a PostgreSQL store, the pg-boss queue and the
 * file builder, as `envforge worker` wires them. argv[2] is a JSON job; it prints `ready` once it
 * listens, and one line per build it starts or ends.
 */
import * as z from "zod";
import { startWorkerHost } from "../../src/builders/worker-host.js";
import { openPgBossQueue } from "../../src/builders/queue/pg-boss-queue.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { fileBuilder } from "./file-builder.js";

const WorkerJob = z.object({
  url: z.string(),
  dir: z.string(),
  workerId: z.string(),
  leaseMs: z.number(),
  stepMs: z.number(),
});
export type WorkerJob = z.infer<typeof WorkerJob>;

const job = WorkerJob.parse(JSON.parse(process.argv[2] ?? "{}"));
const store = await openPostgresStore({ url: job.url, clock: () => new Date() });
const queue = await openPgBossQueue({ url: job.url, pollingIntervalSeconds: 0.5 });
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());
const host = await startWorkerHost({
  store,
  queue,
  builder: fileBuilder({ dir: job.dir, stepMs: job.stepMs, steps: 4 }),
  signal: stop.signal,
  workerId: job.workerId,
  leaseMs: job.leaseMs,
  heartbeatMs: Math.floor(job.leaseMs / 4),
  pollMs: 100,
  report: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write("ready\n");
await host.done;
await queue.close();
await store.close();
