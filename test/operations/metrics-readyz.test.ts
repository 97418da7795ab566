/**
 * /metrics and /readyz of a real server on SQLite and PostgreSQL: builds by state, the queue
 * depth and build durations read from the store after a real build by a worker, the process
 * defaults, both routes in the OpenAPI document, and /readyz answering 503 problem+json once the
 * store is gone.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApiServer } from "../../src/api/serve.js";
import { startApiServer } from "../../src/api/serve.js";
import { inProcessQueue } from "../../src/builders/queue/in-process-queue.js";
import type { WorkerHost } from "../../src/builders/worker-host.js";
import { startWorkerHost } from "../../src/builders/worker-host.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import { createBuildService, createJobService } from "../../src/workspace/build-api.js";
import type { EnvironmentService, WorkspaceStore } from "../../src/workspace/index.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import { fileBuilder } from "../build-queue/file-builder.js";
import type { StoreHarness } from "../workspace/fixtures.js";
import {
  definitionWith,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
} from "../workspace/fixtures.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("metrics and readiness", skipped);

describe.each(kinds)("/metrics and /readyz on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let service: EnvironmentService;
  let server: RunningApiServer;
  let host: WorkerHost;
  let dir: string;
  let storeClosed = false;
  const stop = new AbortController();

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open({ clock: () => new Date() });
    service = createEnvironmentService({ store, curated: NO_CURATED });
    dir = mkdtempSync(join(tmpdir(), "envforge-metrics-"));
    const queue = inProcessQueue();
    server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      service,
      storeKind: store.kind,
      auth: false,
      settings: DEFAULT_PARSE_SETTINGS,
      registry: "127.0.0.1:5000/envforge-test",
      builds: {
        builds: createBuildService({ store, versions: service }),
        jobs: createJobService({ store }),
        queue,
      },
    });
    host = await startWorkerHost({
      store,
      queue,
      builder: fileBuilder({ dir, stepMs: 30 }),
      signal: stop.signal,
      pollMs: 50,
      leaseMs: 2000,
    });
  });
  afterAll(async () => {
    stop.abort();
    await host?.done;
    await server?.close();
    if (!storeClosed) await store?.close();
    await harness?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function metrics(): Promise<string> {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  /** The value of one sample, e.g. `envforge_builds{state="queued",store="sqlite"}`. */
  function sample(text: string, name: string, labels: string): number | undefined {
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`${name}{`) && l.includes(labels) && !l.startsWith("#"));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  it("counts a worker's build by state and observes its duration", async () => {
    const before = await metrics();
    expect(sample(before, "envforge_builds", 'state="succeeded"')).toBe(0);
    expect(sample(before, "envforge_build_duration_seconds_count", 'state="succeeded"')).toBe(
      undefined,
    );
    expect(before).toMatch(/^envforge_build_queue_depth\{store="\w+"\} 0$/m);
    // prom-client's process defaults
    expect(before).toMatch(/^process_cpu_user_seconds_total\{store="\w+"\} /m);
    expect(before).toMatch(/^nodejs_eventloop_lag_seconds\{store="\w+"\} /m);

    await service.registerEnvironment({
      name: "metrics-env",
      definition: definitionWith([`metrics-${kind}`]),
      sourceFiles: {},
    });
    const started = await fetch(
      `${server.url}/v1/workspaces/default/environments/metrics-env/builds`,
      { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
    );
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    let state = "";
    for (let i = 0; i < 200 && state !== "succeeded"; i += 1) {
      const build = await fetch(`${server.url}/v1/workspaces/default/builds/${id}`);
      state = ((await build.json()) as { state: string }).state;
      if (state !== "succeeded") await new Promise((done) => setTimeout(done, 50));
    }
    expect(state).toBe("succeeded");

    const after = await metrics();
    expect(sample(after, "envforge_builds", 'state="succeeded"')).toBe(1);
    expect(sample(after, "envforge_builds", 'state="running"')).toBe(0);
    expect(sample(after, "envforge_build_duration_seconds_count", 'state="succeeded"')).toBe(1);
    expect(sample(after, "envforge_jobs", 'state="queued"')).toBe(0);
    // A second scrape does not observe the same build again.
    const again = await metrics();
    expect(sample(again, "envforge_build_duration_seconds_count", 'state="succeeded"')).toBe(1);
  });

  it("lists /metrics and /readyz in the OpenAPI document", async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/metrics", "/readyz"]));
  });

  it("is ready while the store and queue answer, and 503 problem+json when the store is gone", async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", store: kind, queue: "in-process" });

    stop.abort();
    await host.done;
    await store.close();
    storeClosed = true;
    const started = performance.now();
    const gone = await fetch(`${server.url}/readyz`);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(gone.status).toBe(503);
    expect(gone.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = (await gone.json()) as { status: number; error: string; detail: string };
    expect(body).toMatchObject({ status: 503, error: "not-ready" });
    expect(body.detail).toMatch(/^not ready: store: /);
    expect(body.detail).not.toContain("queue:");
  });
});
