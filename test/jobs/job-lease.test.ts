/**
 * Leases of jobs that workers take (issue 13), on SQLite and PostgreSQL: a worker process killed
 * with its job's process (SIGKILL to its process group, as a machine that dies) leaves the job
 * `running` only until its lease ends; the next worker's sweep then fails it with the reason
 * (job-service.ts: not run again, since it may have run in part and its environment values left
 * with the dead worker), and no worker runs it a second time. A worker stuck in a job that
 * ignores its stop renews the lease only until the job's deadline.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJobWorker } from "../../src/jobs/job-worker.js";
import type { JobRunner } from "../../src/jobs/job-runner.js";
import type { JobService } from "../../src/workspace/build-api.js";
import { createJobService } from "../../src/workspace/build-api.js";
import { JOB_LEASE_LOST } from "../../src/workspace/job-service.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { TestDatabase } from "../support/postgres.js";
import { createTestDatabase } from "../support/postgres.js";
import { harnessKinds, reportSkippedPostgres } from "../workspace/fixtures.js";
import type { JobHolderJob } from "./job-holder-process.js";
import type { JobWorkerJob } from "./job-worker-process.js";

const WORKER = fileURLToPath(new URL("./job-worker-process.ts", import.meta.url));
const HOLDER = fileURLToPath(new URL("./job-holder-process.ts", import.meta.url));
const LEASE_MS = 800;
const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("job leases", skipped);

describe.each(kinds)("job leases on %s", (kind) => {
  let dir: string;
  let database: TestDatabase | undefined;
  let location: string;
  let store: WorkspaceStore;
  let jobs: JobService;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "envforge-job-lease-"));
    const clock = () => new Date();
    if (kind === "sqlite") {
      location = join(dir, "envforge.db");
      store = await openSqliteStore({ path: location, clock });
    } else {
      if (adminUrl === undefined) throw new Error("PostgreSQL without a server URL");
      database = await createTestDatabase(adminUrl);
      location = database.url;
      store = await openPostgresStore({ url: location, clock });
    }
    jobs = createJobService({ store });
  });
  afterAll(async () => {
    for (const child of children) killGroup(child);
    await store?.close();
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** A worker process in a process group of its own, so that it dies with its job's process. */
  async function startWorker(workerId: string, output: string[]) {
    const job: JobWorkerJob = { kind, location, workerId, leaseMs: LEASE_MS };
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(job)], {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    children.push(child);
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output.push(chunk.toString("utf8"));
        if (output.join("").includes("ready\n")) resolve();
      });
      child.once("exit", (code) =>
        reject(new Error(`worker ${workerId} exited ${code}: ${output.join("")}`)),
      );
    });
    return child;
  }

  async function offered(command: readonly string[]) {
    const job = await jobs.createJob({
      name: "leased",
      version: 1,
      imageHash: "envforge_0123456789abcdef0123456789abcdef",
      imageName: "none",
      command,
      envKeys: ["SECRET"],
      network: "none",
    });
    await jobs.offerJob({ id: job.id, image: "none", pull: false, env: { SECRET: "s3cret" } });
    return job;
  }

  const logOf = async (id: string) =>
    (await jobs.readJobLog({ id })).map((chunk) => chunk.text).join("");

  it("fails a killed worker's job once its lease ends, with the reason, and runs it nowhere else", async () => {
    const outputA: string[] = [];
    const outputB: string[] = [];
    const a = await startWorker("worker-a", outputA);
    const job = await offered(["sh", "-c", 'echo "started $SECRET"; sleep 30']);
    await waitFor(async () => (await logOf(job.id)).includes("started s3cret"));
    expect(await jobs.getJob({ id: job.id })).toMatchObject({ state: "running" });

    killGroup(a);
    await new Promise((resolve) => a.once("exit", resolve));
    const killedAt = Date.now();
    await startWorker("worker-b", outputB);
    await waitFor(async () => (await jobs.getJob({ id: job.id })).state !== "running", 15_000);

    const ended = await jobs.getJob({ id: job.id });
    expect(ended).toMatchObject({ state: "failed", exitCode: null, reason: JOB_LEASE_LOST });
    // Not before the lease that the last renewal gave could have run out.
    expect(Date.now() - killedAt).toBeGreaterThan(LEASE_MS / 4);
    const log = await logOf(job.id);
    expect(log).toContain(`job failed: ${JOB_LEASE_LOST} (worker worker-a)`);
    expect(log.match(/started s3cret/g)).toHaveLength(1);
    expect(outputB.join("")).toContain(`job ${job.id} lost its worker; now failed`);
    expect(outputB.join("")).not.toContain(`job ${job.id} (`);

    // The live worker takes and finishes the next job; its lease ends with it.
    const next = await offered(["sh", "-c", "echo next"]);
    await waitFor(async () => (await jobs.getJob({ id: next.id })).state === "succeeded");
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(await jobs.expireJobLeases()).toEqual([]);
    expect(await jobs.getJob({ id: next.id })).toMatchObject({ state: "succeeded", exitCode: 0 });
    // Only this test's own worker may take what the next test offers.
    for (const child of children) killGroup(child);
  }, 60_000);

  /** A process that runs a job itself (as `envforge run`), in a process group of its own. */
  async function startHolder(holder: Omit<JobHolderJob, "kind" | "location" | "leaseMs">) {
    const input: JobHolderJob = { kind, location, leaseMs: LEASE_MS, ...holder };
    const child = spawn(process.execPath, ["--import", "tsx", HOLDER, JSON.stringify(input)], {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    children.push(child);
    const output: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output.push(chunk.toString("utf8"));
        const found = /^job (\S+)$/m.exec(output.join(""));
        if (found?.[1] !== undefined) resolve(found[1]);
      });
      child.once("exit", (code) => reject(new Error(`holder exited ${code}: ${output.join("")}`)));
    });
    return { child, id, output };
  }

  it("fails a job whose own process died (envforge run killed) once its lease ends, not before", async () => {
    const { child, id } = await startHolder({
      workerId: "run-process",
      command: ["sh", "-c", "echo started; sleep 30"],
    });
    await waitFor(async () => (await logOf(id)).includes("started"));
    // Alive, the process renews its hold: past two leases the job is still its own.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(await jobs.expireJobLeases()).toEqual([]);
    expect(await jobs.getJob({ id })).toMatchObject({ state: "running" });

    killGroup(child);
    await new Promise((resolve) => child.once("exit", resolve));
    await waitFor(async () => (await jobs.expireJobLeases()).some((job) => job.id === id), 10_000);
    expect(await jobs.getJob({ id })).toMatchObject({
      state: "failed",
      exitCode: null,
      reason: JOB_LEASE_LOST,
    });
    expect(await logOf(id)).toContain(`job failed: ${JOB_LEASE_LOST} (worker run-process)`);
  }, 60_000);

  it("leaves no hold behind when the job's own process sees it to the end", async () => {
    const { child, id, output } = await startHolder({
      workerId: "run-process-done",
      command: ["sh", "-c", "echo done"],
    });
    await new Promise((resolve) => child.once("exit", resolve));
    expect(output.join("")).toContain("ended succeeded");
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(await jobs.expireJobLeases()).toEqual([]);
    expect(await jobs.getJob({ id })).toMatchObject({ state: "succeeded", exitCode: 0 });
  }, 30_000);

  it("a job held while its image was built and then offered waits for a worker, however long", async () => {
    // A server without a lease of its own on the offer: the taker's lease is the job's.
    const job = await jobs.createJob({
      name: "held-then-offered",
      version: 1,
      imageHash: "envforge_0123456789abcdef0123456789abcdef",
      imageName: "none",
      command: ["true"],
      envKeys: [],
      network: "none",
    });
    expect(await jobs.holdJob({ id: job.id, workerId: "server", leaseMs: 200 })).toBe(true);
    await jobs.offerJob({ id: job.id, image: "none", pull: false, env: {} });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await jobs.expireJobLeases()).map((expired) => expired.id)).not.toContain(job.id);
    expect(await jobs.getJob({ id: job.id })).toMatchObject({ state: "queued" });
    const taken = await jobs.takeJob({ workerId: "worker-late", leaseMs: 5_000 });
    expect(taken?.job.id).toBe(job.id);
    await jobs.finishJob({ id: job.id, state: "succeeded", exitCode: 0, reason: null });
  });

  it("a worker busy with a long job still fails a job whose taker stopped renewing", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const long: JobRunner = {
      run: async (request) => {
        request.onOutput({ stream: "stdout", text: "long\n" });
        await released;
        return { exitCode: 0, durationMs: 0 };
      },
    };
    const stop = new AbortController();
    const worker = startJobWorker({
      jobs,
      runner: long,
      signal: stop.signal,
      workerId: "worker-busy",
      leaseMs: 2_000,
      pollMs: 50,
    });
    try {
      const busy = await offered(["long"]);
      await waitFor(async () => (await logOf(busy.id)).includes("long"));
      // Taken by a worker that renews nothing (as one killed right after taking it).
      const orphan = await offered(["never"]);
      const taken = await jobs.takeJob({ workerId: "worker-gone", leaseMs: 300 });
      expect(taken?.job.id).toBe(orphan.id);
      await waitFor(async () => (await jobs.getJob({ id: orphan.id })).state === "failed");
      expect(await jobs.getJob({ id: orphan.id })).toMatchObject({ reason: JOB_LEASE_LOST });
      expect(await logOf(orphan.id)).toContain("(worker worker-gone)");
      expect(await jobs.getJob({ id: busy.id })).toMatchObject({ state: "running" });
    } finally {
      stop.abort();
      release();
      await worker.done;
    }
  }, 30_000);

  it("renews a lease only until the job's deadline: a worker stuck past it loses the job to a sweep", async () => {
    // A runner that ignores its stop, and a store call that hangs when the worker records the
    // end itself: only the lease's end can end this job.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const stuck: JobRunner = {
      run: async (request) => {
        request.onOutput({ stream: "stdout", text: "stuck\n" });
        await released;
        return { exitCode: 0, durationMs: 0 };
      },
    };
    const hanging: JobService = {
      ...jobs,
      finishJob: async (input) => {
        await released;
        return jobs.finishJob(input);
      },
    };
    const stop = new AbortController();
    const worker = startJobWorker({
      jobs: hanging,
      runner: stuck,
      signal: stop.signal,
      workerId: "worker-stuck",
      leaseMs: 200,
      heartbeatMs: 50,
      // Long enough that a loaded machine still sees the lease renewed before it is capped.
      jobTimeoutMs: 1_500,
      stopGraceMs: 500,
      pollMs: 50,
    });
    try {
      const job = await offered(["anything"]);
      await waitFor(async () => (await logOf(job.id)).includes("stuck"));
      // The worker renews: past one lease time, a sweep finds nothing to fail.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await jobs.expireJobLeases()).map((j) => j.id)).not.toContain(job.id);
      // Past deadline (1.5 s), grace (0.5 s) and one renewal, renewals stop; a sweep (this
      // test's or the worker's own, every poll) fails it.
      await waitFor(async () => {
        await jobs.expireJobLeases();
        return (await jobs.getJob({ id: job.id })).state === "failed";
      }, 10_000);
      expect(await jobs.getJob({ id: job.id })).toMatchObject({
        state: "failed",
        reason: JOB_LEASE_LOST,
      });
      expect(await logOf(job.id)).toContain("(worker worker-stuck)");
    } finally {
      stop.abort();
      release();
      await worker.done;
    }
  }, 30_000);
});

/** SIGKILL to the child's process group: the worker and every process its job started. */
function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
