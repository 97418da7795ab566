/**
 * A builder that ignores its abort signal (an engine call that never returns) cannot keep a build
 * `running` or its lease alive: the worker ends the build `stopGraceMs` after the timeout, and
 * never renews the lease past timeout + grace. Real stores (SQLite, PostgreSQL), real worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBuildWorker } from "../../src/builders/worker.js";
import type { ImageBuilder } from "../../src/builders/image-builder.js";
import type { BuildLeases, BuildService } from "../../src/workspace/build-api.js";
import { createBuildLeases, createBuildService } from "../../src/workspace/build-api.js";
import type { EnvironmentService } from "../../src/workspace/environment-service.js";
import { createEnvironmentService } from "../../src/workspace/environment-service.js";
import { NO_CURATED } from "../../src/workspace/curated-catalog.js";
import type { WorkspaceStore } from "../../src/workspace/store.js";
import type { StoreHarness } from "../workspace/fixtures.js";
import {
  definitionWith,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
} from "../workspace/fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("stuck builder", skipped);

/** Never settles, whatever its signal says; counts the builds it was given. */
function stuckBuilder(): ImageBuilder & { started: number } {
  const builder = {
    started: 0,
    build: () => {
      builder.started += 1;
      return new Promise<never>(() => undefined);
    },
  };
  return builder;
}

describe.each(kinds)("a builder that ignores its abort, on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let environments: EnvironmentService;
  let builds: BuildService;
  let leases: BuildLeases;

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open({ clock: () => new Date() });
    environments = createEnvironmentService({ store, curated: NO_CURATED });
    builds = createBuildService({ store, versions: environments });
    leases = createBuildLeases({ store });
  });
  afterAll(async () => {
    await store?.close();
    await harness?.dispose();
  });

  it("fails the timed-out build within its timeout and grace, and lets its lease end", async () => {
    await environments.registerEnvironment({
      name: "stuck",
      definition: definitionWith([`stuck-${kind}`]),
      sourceFiles: {},
    });
    const { build } = await builds.requestBuild({
      name: "stuck",
      registry: "127.0.0.1:5000/envforge-test",
      timeoutMs: 600,
    });
    const builder = stuckBuilder();
    const leaseUntils: number[] = [];
    const worker = createBuildWorker({
      leases: {
        ...leases,
        // Watch what the worker asks of the real store.
        heartbeat: async (input) => {
          leaseUntils.push(Date.now() + input.leaseMs);
          return leases.heartbeat(input);
        },
      },
      builder,
      leaseMs: 5000,
      heartbeatMs: 50,
      stopGraceMs: 400,
    });
    const started = Date.now();
    const ended = await worker.runOnce(build.id);
    const took = Date.now() - started;
    expect(builder.started).toBe(1);
    expect(ended).toMatchObject({
      id: build.id,
      state: "failed",
      reason: "timed out after 600 ms",
    });
    expect(took).toBeGreaterThanOrEqual(600 + 400 - 20);
    expect(took).toBeLessThan(600 + 400 + 1500);
    expect((await builds.getBuild({ id: build.id })).state).toBe("failed");
    // Renewals never reached past timeout + grace + one heartbeat (plus the time a renewal takes).
    expect(leaseUntils.length).toBeGreaterThan(0);
    expect(Math.max(...leaseUntils)).toBeLessThanOrEqual(started + 600 + 400 + 50 + 50);
  });
});
