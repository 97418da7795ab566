/**
 * The build and job routes through real HTTP on SQLite and PostgreSQL: POST …/builds twice gives
 * one build (201, then 200), its log is followed live as Server-Sent Events until the final
 * state, logs page as JSON, cancel, 404 and 422 as problem+JSON, and a job posted over HTTP
 * waits for its image's build and then runs (here as a process: no engine needed).
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
import type { StoreHarness } from "../workspace/fixtures.js";
import {
  definitionWith,
  harnessKinds,
  openHarness,
  reportSkippedPostgres,
} from "../workspace/fixtures.js";
import { fileBuilder } from "./file-builder.js";
import { cli } from "../support/run-cli.js";
import { processJobRunner } from "./process-job-runner.js";

const { kinds, adminUrl, skipped } = await harnessKinds();
reportSkippedPostgres("build routes", skipped);

describe.each(kinds)("build and job routes on %s", (kind) => {
  let harness: StoreHarness;
  let store: WorkspaceStore;
  let service: EnvironmentService;
  let server: RunningApiServer;
  let host: WorkerHost;
  let dir: string;
  const stop = new AbortController();

  beforeAll(async () => {
    harness = await openHarness(kind, adminUrl);
    store = await harness.open({ clock: () => new Date() });
    service = createEnvironmentService({ store, curated: NO_CURATED });
    dir = mkdtempSync(join(tmpdir(), "envforge-api-builds-"));
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
        jobRunner: processJobRunner(),
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
    await store?.close();
    await harness?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; type: string; body: unknown }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get("content-type") ?? "",
      body: text === "" ? undefined : JSON.parse(text),
    };
  }

  function field(value: unknown, key: string): unknown {
    return typeof value === "object" && value !== null
      ? Object.getOwnPropertyDescriptor(value, key)?.value
      : undefined;
  }

  /** Reads a whole SSE stream: the events in order. */
  async function events(path: string): Promise<{ event: string; id?: string; data: unknown }[]> {
    const response = await fetch(`${server.url}${path}`);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await response.text();
    return text
      .split("\n\n")
      .filter((block) => block.trim() !== "")
      .map((block) => {
        const lines = Object.fromEntries(
          block
            .split("\n")
            .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        );
        return {
          event: lines.event ?? "",
          ...(lines.id === undefined ? {} : { id: lines.id }),
          data: JSON.parse(lines.data ?? "null"),
        };
      });
  }

  it("builds once for two requests and streams the log until the final state", async () => {
    await service.registerEnvironment({
      name: "api-env",
      definition: definitionWith([`api-${kind}`]),
      sourceFiles: {},
    });
    const base = "/v1/workspaces/default";
    const first = await call("POST", `${base}/environments/api-env/builds`, {});
    const second = await call("POST", `${base}/environments/api-env/builds`, { version: 1 });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    const id = field(first.body, "id");
    expect(field(second.body, "id")).toBe(id);

    const stream = await events(`${base}/builds/${String(id)}/logs/stream`);
    const last = stream.at(-1);
    expect(last?.event).toBe("state");
    expect(field(last?.data, "state")).toBe("succeeded");
    const logs = stream.filter((e) => e.event === "log");
    expect(logs.map((e) => Number(e.id))).toEqual(logs.map((_, i) => i + 1));
    expect(logs.map((e) => String(field(e.data, "text"))).join("")).toContain("[3/3] RUN step 3");

    // Resuming with Last-Event-ID skips what was seen.
    const resumed = await fetch(`${server.url}${base}/builds/${String(id)}/logs/stream`, {
      headers: { "last-event-id": String(logs.length - 1) },
    });
    expect((await resumed.text()).match(/^event: log$/gm)).toHaveLength(1);

    const page = await call("GET", `${base}/builds/${String(id)}/logs?after=1`);
    expect(field(page.body, "items")).toHaveLength(logs.length - 1);
    const listed = await call("GET", `${base}/builds?name=api-env`);
    expect(field(listed.body, "items")).toHaveLength(1);
    const done = await call("GET", `${base}/builds/${String(id)}`);
    expect(field(field(done.body, "image"), "digest")).toMatch(/^sha256:/);

    // Image details now say what the build pushed.
    const details = await call("GET", `${base}/environments/api-env/versions/1/image-details`);
    expect(field(details.body, "image")).toEqual(field(done.body, "image"));
    expect(field(details.body, "existsInRegistry")).toBe(true);
    const byLabel = await call("GET", `${base}/environments/api-env/labels/latest/image-details`);
    expect(field(byLabel.body, "existsInRegistry")).toBe(true);
  });

  it("lets the CLI build and follow over HTTP (--server), printing what it prints locally", async () => {
    await service.registerEnvironment({
      name: "remote-env",
      definition: definitionWith([`remote-${kind}`]),
      sourceFiles: {},
    });
    const env = { ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
    const built = await cli(["env", "build", "remote-env", "--server", server.url, "--json"], {
      env,
    });
    expect(built.code, built.stderr).toBe(0);
    const build: unknown = JSON.parse(built.stdout);
    expect(build).toMatchObject({ name: "remote-env", state: "succeeded", attempt: 1 });
    expect(built.stderr).toContain("queued build");
    expect(built.stderr).toContain("[3/3] RUN step 3");
    // The server's own worker took it: no "waiting for a worker" (issue 9, point 5).
    expect(built.stderr).toMatch(/taken by worker/);
    expect(built.stderr).not.toContain("waiting for a worker");
    const id = String(field(build, "id"));

    const logs = await cli(["build", "logs", id, "--server", server.url], { env });
    expect(logs.stdout).toContain("envforge: build succeeded: sha256:");
    const shown = await cli(["build", "show", id, "--server", server.url], { env });
    expect(shown.stdout).toContain("state:       succeeded");
    const missing = await cli(["build", "show", "nope", "--server", server.url], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('envforge: build "nope" not found in workspace "default"\n');
    const withRegistry = await cli(
      ["env", "build", "remote-env", "--server", server.url, "--registry", "x/y"],
      { env },
    );
    expect(withRegistry.code).toBe(2);
    expect(withRegistry.stderr).toContain("--registry: a server pushes to its own registry");
  });

  it("reports an image nobody built as not in the registry", async () => {
    await service.registerEnvironment({
      name: "never-built",
      definition: definitionWith([`never-${kind}`]),
      sourceFiles: {},
    });
    const details = await call(
      "GET",
      "/v1/workspaces/default/environments/never-built/versions/1/image-details",
    );
    expect(field(field(details.body, "image"), "digest")).toBeNull();
    expect(field(details.body, "existsInRegistry")).toBe(false);
  });

  it("answers problems for unknown builds and bad requests", async () => {
    const missing = await call("GET", "/v1/workspaces/default/builds/no-such-build");
    expect(missing.status).toBe(404);
    expect(missing.type).toContain("application/problem+json");
    expect(field(missing.body, "detail")).toBe(
      'build "no-such-build" not found in workspace "default"',
    );
    const stream = await fetch(`${server.url}/v1/workspaces/default/builds/nope/logs/stream`);
    expect(stream.status).toBe(404);
    await stream.text();
    const unknown = await call("POST", "/v1/workspaces/default/environments/api-env/builds", {
      colour: "red",
    });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    const cancel = await call("POST", "/v1/workspaces/default/builds/no-such-build/cancel");
    expect(cancel.status).toBe(404);
  });

  it("runs a job posted over HTTP after its image is built, keeping its output and exit code", async () => {
    await service.registerEnvironment({
      name: "job-env",
      definition: definitionWith([`job-${kind}`]),
      sourceFiles: {},
    });
    const posted = await call("POST", "/v1/workspaces/default/environments/job-env/jobs", {
      command: ["sh", "-c", 'echo "hello $WHO"; echo warn >&2; exit 3'],
      env: { WHO: "api" },
    });
    expect(posted.status).toBe(202);
    expect(field(posted.body, "state")).toBe("queued");
    const id = String(field(posted.body, "id"));
    const stream = await events(`/v1/workspaces/default/jobs/${id}/logs/stream`);
    const final = stream.at(-1);
    expect(final?.event).toBe("state");
    expect(final?.data).toMatchObject({ state: "failed", exitCode: 3, envKeys: ["WHO"] });
    const out = stream
      .filter((e) => e.event === "log")
      .map((e) => `${String(field(e.data, "stream"))}:${String(field(e.data, "text"))}`);
    expect(out).toContain("stdout:hello api\n");
    expect(out).toContain("stderr:warn\n");
    const job = await call("GET", `/v1/workspaces/default/jobs/${id}`);
    expect(field(job.body, "buildId")).not.toBeNull();
  });
});
