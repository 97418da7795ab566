/**
 * Workers as separate processes on PostgreSQL with the pg-boss queue: concurrent requests for
 * one image make one build, and a worker killed (SIGKILL) in the middle of a build leaves it to
 * another worker, which finishes it with one final image. Needs PostgreSQL (fails under CI=true
 * without it).
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildQueue } from "../../src/builders/queue/build-queue.js";
import { openPgBossQueue } from "../../src/builders/queue/pg-boss-queue.js";
import type { BuildService } from "../../src/workspace/build-api.js";
import { createBuildService } from "../../src/workspace/build-api.js";
import { NO_CURATED } from "../../src/workspace/curated-catalog.js";
import type { EnvironmentService } from "../../src/workspace/environment-service.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { TestDatabase } from "../support/postgres.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";
import { definitionWith } from "../workspace/fixtures.js";
import { builderRecord } from "./file-builder.js";
import type { WorkerJob } from "./worker-process.js";

const WORKER = fileURLToPath(new URL("./worker-process.ts", import.meta.url));
const REGISTRY = "127.0.0.1:5000/envforge-test";
const LEASE_MS = 800;

const probe = await probePostgres();

describe.skipIf(!probe.available)("build workers as processes on PostgreSQL", () => {
  let database: TestDatabase;
  let store: WorkspaceStore;
  let queue: BuildQueue;
  let environments: EnvironmentService;
  let builds: BuildService;
  let dir: string;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    if (!probe.available) return;
    database = await createTestDatabase(probe.adminUrl);
    store = await openPostgresStore({ url: database.url, clock: () => new Date() });
    queue = await openPgBossQueue({ url: database.url });
    environments = createEnvironmentService({ store, curated: NO_CURATED });
    builds = createBuildService({ store, versions: environments });
    dir = mkdtempSync(join(tmpdir(), "envforge-worker-kill-"));
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    await queue?.close();
    await store?.close();
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a worker process and resolves once it listens; `output` collects its lines. */
  async function startWorker(
    workerId: string,
    output: string[],
  ): Promise<ChildProcessWithoutNullStreams> {
    const job: WorkerJob = { url: database.url, dir, workerId, leaseMs: LEASE_MS, stepMs: 400 };
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(job)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(child);
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        output.push(text);
        if (output.join("").includes("ready\n")) resolve();
      });
      child.once("exit", (code) =>
        reject(new Error(`worker ${workerId} exited ${code}: ${output.join("")}`)),
      );
    });
    return child;
  }

  async function register(name: string, packages: readonly string[]): Promise<void> {
    await environments.registerEnvironment({
      name,
      definition: definitionWith(packages),
      sourceFiles: {},
    });
  }

  it("builds once for concurrent requests, and finishes a killed worker's build on another worker", async () => {
    const outputA: string[] = [];
    const outputB: string[] = [];
    const a = await startWorker("worker-a", outputA);

    await register("kill-me", ["kill-me-pkg"]);
    const requests = await Promise.all(
      Array.from({ length: 5 }, () => builds.requestBuild({ name: "kill-me", registry: REGISTRY })),
    );
    expect(new Set(requests.map((r) => r.build.id)).size).toBe(1);
    const { build } = requests[0]!;
    await queue.notify(build.id);

    // Mid-build: worker A holds it and has logged a step.
    await waitFor(async () => {
      const log = (await builds.readBuildLog({ id: build.id })).map((c) => c.text).join("");
      return log.includes("[2/4] RUN step 2");
    });
    expect(await builds.getBuild({ id: build.id })).toMatchObject({
      state: "running",
      workerId: "worker-a",
      attempt: 1,
    });
    a.kill("SIGKILL");
    await new Promise((resolve) => a.once("exit", resolve));

    await startWorker("worker-b", outputB);
    await waitFor(
      async () => (await builds.getBuild({ id: build.id })).state === "succeeded",
      20_000,
    );
    const done = await builds.getBuild({ id: build.id });
    expect(done).toMatchObject({ attempt: 2, workerId: "worker-b", cacheHit: false });
    expect(done.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const log = (await builds.readBuildLog({ id: build.id })).map((c) => c.text).join("");
    expect(log).toContain("the worker of attempt 1 stopped renewing its lease; queued again");
    expect(log).toContain("attempt 2 of 3 taken by worker worker-b");
    // Two engine builds were started (A's, cut short, and B's), and one image exists.
    const record = await builderRecord(dir);
    expect(record.started).toBe(2);
    expect(record.images).toEqual([`${done.imageHash}.json`]);

    // With two live workers, five concurrent requests for a new image make one engine build.
    await startWorker("worker-c", []);
    await register("single", ["single-flight-pkg"]);
    const again = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const result = await builds.requestBuild({ name: "single", registry: REGISTRY });
        await queue.notify(result.build.id);
        return result;
      }),
    );
    expect(new Set(again.map((r) => r.build.id)).size).toBe(1);
    const id = again[0]!.build.id;
    await waitFor(async () => (await builds.getBuild({ id })).state === "succeeded", 20_000);
    expect((await builderRecord(dir)).started).toBe(3);
  }, 60_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
