/**
 * Builds as records, on SQLite and PostgreSQL alike: single flight, claims under leases, lease
 * expiry and retries, cancel, timeout, failures that name their step, logs in chunks and
 * followed live. The builder is a real one that writes files (file-builder.ts); time is a clock
 * the tests move, so no test waits for a lease to run out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../src/errors/index.js";
import { createBuildWorker } from "../../src/builders/worker.js";
import type { BuildLeases, BuildService } from "../../src/workspace/build-api.js";
import { createBuildLeases, createBuildService } from "../../src/workspace/build-api.js";
import type { EnvironmentService } from "../../src/workspace/environment-service.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { NO_CURATED } from "../../src/workspace/curated-catalog.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { StoreHarness } from "../workspace/fixtures.js";
import {
  countingIds,
  definitionWith,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
} from "../workspace/fixtures.js";
import { builderRecord, fileBuilder } from "./file-builder.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("build queue", skipped);

const REGISTRY = "127.0.0.1:5000/envforge-test";

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = () => new Date(now);
  return Object.assign(clock, { advance: (ms: number) => void (now += ms) });
}

describe.each(kinds)("build queue on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let environments: EnvironmentService;
  let builds: BuildService;
  let leases: BuildLeases;
  let dir: string;
  const clock = manualClock();
  let envs = 0;

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open({ clock });
    environments = createEnvironmentService({ store, clock, curated: NO_CURATED });
    builds = createBuildService({
      store,
      versions: environments,
      clock,
      newId: countingIds(`build-${kind}`),
    });
    leases = createBuildLeases({ store, clock });
    dir = mkdtempSync(join(tmpdir(), "envforge-build-queue-"));
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** A new environment whose definition no other test uses, so its image hash is its own. */
  async function freshEnvironment(extra: readonly string[] = []): Promise<string> {
    const name = `env-${++envs}`;
    await environments.registerEnvironment({
      name,
      definition: definitionWith([`pkg${envs}-${kind}`, ...extra]),
      sourceFiles: {},
    });
    return name;
  }

  async function logText(id: string): Promise<string> {
    return (await builds.readBuildLog({ id })).map((c) => c.text).join("");
  }

  it("gives two requests for one image hash at once the same build (single flight)", async () => {
    const name = await freshEnvironment();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => builds.requestBuild({ name, registry: REGISTRY })),
    );
    const ids = new Set(results.map((r) => r.build.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const build = results[0]!.build;
    expect(build.state).toBe("queued");
    expect(build.image.name).toBe(`${REGISTRY}/${build.imageHash}`);

    // The same definition under another name is the same image: still the one build.
    const twin = `twin-${envs}`;
    const version = await environments.getEnvironmentVersion({ name });
    await environments.registerEnvironment({
      name: twin,
      definition: version.definition,
      sourceFiles: {},
    });
    const again = await builds.requestBuild({ name: twin, registry: REGISTRY });
    expect(again).toMatchObject({ created: false, build: { id: build.id } });
    await builds.cancelBuild({ id: build.id });
  });

  it("lets exactly one of several workers claim a build", async () => {
    const name = await freshEnvironment();
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    const claims = await Promise.all(
      ["w1", "w2", "w3", "w4"].map((workerId) =>
        leases.claim({ workerId, leaseMs: 1000, id: build.id }),
      ),
    );
    const winners = claims.filter((c) => c !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.build).toMatchObject({ state: "running", attempt: 1 });
    const done = await leases.finish({
      id: build.id,
      workerId: winners[0]!.build.workerId ?? "",
      state: "succeeded",
      digest: "sha256:" + "0".repeat(64),
      cacheHit: false,
      reason: null,
      failedStep: null,
    });
    expect(done).toBe(true);
  });

  it("builds with a worker: succeeded, digest, cache hit next time, log in chunks", async () => {
    const name = await freshEnvironment();
    const worker = createBuildWorker({
      leases,
      builder: fileBuilder({ dir }),
      workerId: "worker-a",
      logFlushMs: 1,
    });
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    const ran = await worker.runOnce(build.id);
    expect(ran?.state).toBe("succeeded");
    const done = await builds.getBuild({ id: build.id });
    expect(done).toMatchObject({ state: "succeeded", attempt: 1, cacheHit: false, reason: null });
    expect(done.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(done.finishedAt).not.toBeNull();
    const log = await logText(build.id);
    expect(log).toContain("[1/3] RUN step 1\n");
    expect(log).toContain(`step 3 of ${build.imageHash} done\n`);
    expect(log).toContain("taken by worker worker-a");
    expect((await builds.builtImage(build.imageHash))?.id).toBe(build.id);

    const second = await builds.requestBuild({ name, registry: REGISTRY });
    expect(second.created).toBe(true);
    await worker.runOnce(second.build.id);
    expect(await builds.getBuild({ id: second.build.id })).toMatchObject({
      state: "succeeded",
      cacheHit: true,
      image: { digest: done.image.digest },
    });
  });

  it("fails a build whose step fails, with a reason that names the step", async () => {
    const name = await freshEnvironment(["fail-here"]);
    const worker = createBuildWorker({ leases, builder: fileBuilder({ dir }), logFlushMs: 1 });
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    await worker.runOnce(build.id);
    const failed = await builds.getBuild({ id: build.id });
    expect(failed.state).toBe("failed");
    expect(failed.failedStep).toBe("[2/3] RUN step 2");
    expect(failed.reason).toBe("step [2/3] RUN step 2 failed: process exited with code 1");
    expect(await logText(build.id)).toContain("fail-here: no such package\n");
  });

  it("re-queues a build whose worker stopped renewing its lease, and fails it after the last attempt", async () => {
    const name = await freshEnvironment();
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const claimed = await leases.claim({
        workerId: `dead-${attempt}`,
        leaseMs: 100,
        id: build.id,
      });
      expect(claimed?.build.attempt).toBe(attempt);
      expect(await leases.expireLeases()).toEqual([]); // lease still good
      clock.advance(101);
      const expired = await leases.expireLeases();
      expect(expired.map((b) => [b.id, b.state])).toEqual([
        [build.id, attempt < 3 ? "queued" : "failed"],
      ]);
      // The dead worker's late result does not count.
      expect(
        await leases.finish({
          id: build.id,
          workerId: `dead-${attempt}`,
          state: "succeeded",
          digest: null,
          cacheHit: null,
          reason: null,
          failedStep: null,
        }),
      ).toBe(false);
    }
    const failed = await builds.getBuild({ id: build.id });
    expect(failed).toMatchObject({ state: "failed", attempt: 3 });
    expect(failed.reason).toBe("the worker stopped renewing its lease on attempt 3 of 3");
    // A failed build frees the image hash for a new request.
    expect((await builds.requestBuild({ name, registry: REGISTRY })).created).toBe(true);
  });

  it("retries on another worker after a lease expires, ending with one image", async () => {
    const name = await freshEnvironment();
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    await leases.claim({ workerId: "died", leaseMs: 100, id: build.id });
    clock.advance(500);
    const worker = createBuildWorker({
      leases,
      builder: fileBuilder({ dir }),
      workerId: "survivor",
      logFlushMs: 1,
    });
    const stop = new AbortController();
    const running = worker.run({ signal: stop.signal, pollMs: 5 });
    await waitFor(async () => (await builds.getBuild({ id: build.id })).state === "succeeded");
    stop.abort();
    await running;
    const done = await builds.getBuild({ id: build.id });
    expect(done).toMatchObject({ attempt: 2, workerId: "survivor" });
    expect(await logText(build.id)).toContain("the worker of attempt 1 stopped renewing its lease");
    expect((await builderRecord(dir)).images).toContain(`${build.imageHash}.json`);
  });

  it("cancels a queued build at once and a running one through its worker", async () => {
    const queued = await builds.requestBuild({
      name: await freshEnvironment(),
      registry: REGISTRY,
    });
    const canceled = await builds.cancelBuild({ id: queued.build.id });
    expect(canceled).toMatchObject({ state: "canceled", reason: "canceled by request" });

    const { build } = await builds.requestBuild({
      name: await freshEnvironment(),
      registry: REGISTRY,
    });
    const worker = createBuildWorker({
      leases,
      builder: fileBuilder({ dir, stepMs: 60_000 }),
      heartbeatMs: 5,
      logFlushMs: 1,
    });
    const running = worker.runOnce(build.id);
    await waitFor(async () => (await builds.getBuild({ id: build.id })).state === "running");
    expect((await builds.cancelBuild({ id: build.id })).cancelRequested).toBe(true);
    await running;
    expect(await builds.getBuild({ id: build.id })).toMatchObject({
      state: "canceled",
      reason: "canceled by request",
    });
  });

  it("fails a build that runs past its timeout", async () => {
    const name = await freshEnvironment();
    const { build } = await builds.requestBuild({ name, registry: REGISTRY, timeoutMs: 30 });
    const worker = createBuildWorker({ leases, builder: fileBuilder({ dir, stepMs: 60_000 }) });
    await worker.runOnce(build.id);
    expect(await builds.getBuild({ id: build.id })).toMatchObject({
      state: "failed",
      reason: "timed out after 30 ms",
    });
  });

  it("follows a build's log live until its final state", async () => {
    const name = await freshEnvironment();
    const { build } = await builds.requestBuild({ name, registry: REGISTRY });
    const worker = createBuildWorker({
      leases,
      builder: fileBuilder({ dir, stepMs: 20 }),
      logFlushMs: 1,
    });
    const events: string[] = [];
    const following = (async () => {
      for await (const event of builds.followBuild({ id: build.id, pollMs: 5 })) {
        events.push(event.kind === "log" ? event.chunk.text : `state ${event.build.state}`);
      }
    })();
    await worker.runOnce(build.id);
    await following;
    const text = events.join("");
    expect(events[0]).toContain("queued build of");
    expect(text).toContain("step 3 of");
    expect(events.at(-1)).toBe("state succeeded");
    expect(events.indexOf("state succeeded")).toBe(events.length - 1);
  });

  it("names what is wrong with bad requests and unknown builds", async () => {
    await expect(builds.getBuild({ id: "nope" })).rejects.toThrow(
      new NotFoundError('build "nope" not found in workspace "default"'),
    );
    await expect(builds.getBuild({ id: "../x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      builds.requestBuild({ name: "missing-env", registry: REGISTRY }),
    ).rejects.toBeInstanceOf(NotFoundError);
    // A build of another workspace is not found here.
    const { build } = await builds.requestBuild({
      name: await freshEnvironment(),
      registry: REGISTRY,
    });
    await environments.createWorkspace({ name: `other-${kind}` });
    await expect(
      builds.getBuild({ workspace: `other-${kind}`, id: build.id }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("pages through builds newest first", async () => {
    const ws = `paged-${kind}`;
    await environments.createWorkspace({ name: ws });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const name = `p${i}`;
      await environments.registerEnvironment({
        workspace: ws,
        name,
        definition: definitionWith([`paged${i}-${kind}`]),
        sourceFiles: {},
      });
      ids.push((await builds.requestBuild({ workspace: ws, name, registry: REGISTRY })).build.id);
    }
    const first = await builds.listBuilds({ workspace: ws, limit: 2 });
    const second = await builds.listBuilds({ workspace: ws, limit: 2, cursor: first.nextCursor });
    const third = await builds.listBuilds({ workspace: ws, limit: 2, cursor: second.nextCursor });
    expect([...first.items, ...second.items, ...third.items].map((b) => b.id)).toEqual(
      [...ids].reverse(),
    );
    expect(third.nextCursor).toBeUndefined();
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
