/**
 * A process that runs one job itself, as `envforge run` and a server without workers do
 * (runJob with a holder): a SQLite or PostgreSQL store and a runner that runs the command as a
 * child process (no engine). argv[2] is a JSON job; it prints `job <id>` once the job exists.
 */
import * as z from "zod";
import { runJob } from "../../src/jobs/run-job.js";
import { createJobService } from "../../src/workspace/build-api.js";
import { processJobRunner } from "../build-queue/process-job-runner.js";
import { StoreAt, openStoreAt } from "./store-at.js";

const HolderJob = StoreAt.extend({
  workerId: z.string(),
  leaseMs: z.number(),
  command: z.array(z.string()),
});
export type JobHolderJob = z.infer<typeof HolderJob>;

const input = HolderJob.parse(JSON.parse(process.argv[2] ?? "{}"));
const store = await openStoreAt(input);
const jobs = createJobService({ store });
const job = await jobs.createJob({
  name: "held",
  version: 1,
  imageHash: "envforge_0123456789abcdef0123456789abcdef",
  imageName: "none",
  command: input.command,
  envKeys: [],
  network: "none",
});
process.stdout.write(`job ${job.id}\n`);
const ended = await runJob({
  jobs,
  runner: processJobRunner(),
  job,
  request: { image: "none", pull: false, env: {}, mounts: [] },
  holder: {
    workerId: input.workerId,
    leaseMs: input.leaseMs,
    heartbeatMs: Math.floor(input.leaseMs / 4),
  },
  logFlushMs: 10,
});
process.stdout.write(`ended ${ended.state}\n`);
await store.close();
