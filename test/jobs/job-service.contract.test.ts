/**
 * Job records on SQLite and PostgreSQL: created queued, run, ended once; output kept in ordered
 * chunks; variable names without values; pages newest first; other workspaces' jobs not found.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../src/errors/index.js";
import type { JobService } from "../../src/workspace/build-api.js";
import { createJobService } from "../../src/workspace/build-api.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import type { WorkspaceStore } from "../../src/workspace/index.js";
import type { StoreHarness } from "../workspace/fixtures.js";
import {
  countingIds,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
  steppingClock,
} from "../workspace/fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("job records", skipped);

describe.each(kinds)("job records on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let jobs: JobService;

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open();
    jobs = createJobService({ store, clock: steppingClock(), newId: countingIds("job") });
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
  });

  const input = {
    name: "env",
    version: 1,
    imageHash: "envforge_0123456789abcdef0123456789abcdef",
    imageName: "127.0.0.1:5000/x/envforge_0123456789abcdef0123456789abcdef:latest",
    command: ["python", "train.py"],
    envKeys: ["TOKEN", "SEED", "TOKEN"],
    network: "none" as const,
  };

  it("keeps a job from queued to its exit code, with its output in order", async () => {
    const job = await jobs.createJob(input);
    expect(job).toMatchObject({ state: "queued", envKeys: ["SEED", "TOKEN"], exitCode: null });
    await jobs.startJob({ id: job.id, buildId: "build-1" });
    await jobs.appendJobLog({ id: job.id, stream: "stdout", text: "epoch 1\n" });
    await jobs.appendJobLog({ id: job.id, stream: "stderr", text: "warning\n" });
    await jobs.appendJobLog({ id: job.id, stream: "stdout", text: "epoch 2\n" });
    const done = await jobs.finishJob({
      id: job.id,
      state: "failed",
      exitCode: 3,
      reason: "exited with code 3",
    });
    expect(done).toMatchObject({ state: "failed", exitCode: 3, buildId: "build-1" });
    expect(done.durationMs).toBeGreaterThan(0);
    // Ended once: a late second ending changes nothing.
    const again = await jobs.finishJob({
      id: job.id,
      state: "succeeded",
      exitCode: 0,
      reason: null,
    });
    expect(again).toMatchObject({ state: "failed", exitCode: 3 });
    const log = await jobs.readJobLog({ id: job.id });
    expect(log.map((c) => [c.seq, c.stream, c.text])).toEqual([
      [1, "stdout", "epoch 1\n"],
      [2, "stderr", "warning\n"],
      [3, "stdout", "epoch 2\n"],
    ]);
    expect((await jobs.readJobLog({ id: job.id, afterSeq: 2 })).map((c) => c.seq)).toEqual([3]);

    const events: string[] = [];
    for await (const event of jobs.followJob({ id: job.id, pollMs: 1 })) {
      events.push(event.kind === "log" ? event.chunk.text : `state ${event.job.state}`);
    }
    expect(events).toEqual(["epoch 1\n", "warning\n", "epoch 2\n", "state failed"]);
  });

  it("refuses a job without a command, and finds jobs only in their workspace", async () => {
    await expect(jobs.createJob({ ...input, command: [] })).rejects.toThrow(
      new ValidationError([
        {
          key: "command",
          message: "no command to run",
          allowed: "the command after --, e.g. -- python train.py",
        },
      ]),
    );
    const job = await jobs.createJob(input);
    await createEnvironmentService({ store, curated: NO_CURATED }).createWorkspace({
      name: "other",
    });
    await expect(jobs.getJob({ workspace: "other", id: job.id })).rejects.toThrow(
      new NotFoundError(`job "${job.id}" not found in workspace "other"`),
    );
  });

  it("pages through jobs newest first", async () => {
    const all = (await jobs.listJobs({ limit: 1000 })).items.map((j) => j.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await jobs.listJobs({ limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect([...all].sort().reverse()).toEqual(all);
  });
});
