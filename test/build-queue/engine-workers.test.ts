/**
 * The "done when", on the real Docker engine, registry and PostgreSQL, with
 * `envforge worker` processes: concurrent requests for one image make one build, taken by one
 * worker; a worker killed (SIGKILL) in the middle of a RUN step leaves the build to another
 * worker, which finishes it with one image in the registry; a failing step fails the build with
 * a reason that names the step.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildQueue } from "../../src/builders/queue/build-queue.js";
import { openPgBossQueue } from "../../src/builders/queue/pg-boss-queue.js";
import { collectDefinitionFiles } from "../../src/host/collect-definition-files.js";
import { loadDefinitionFiles } from "../../src/host/load-definition-files.js";
import { DEFAULT_PARSE_SETTINGS } from "../../src/definition/definition.js";
import { assembleDefinition } from "../../src/definition/assemble-definition.js";
import type { BuildService } from "../../src/workspace/build-api.js";
import { createBuildService } from "../../src/workspace/build-api.js";
import type { EnvironmentService, WorkspaceStore } from "../../src/workspace/index.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import { openPostgresStore } from "../../src/workspace/postgres-store.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import type { TestDatabase } from "../support/postgres.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { DOCKER_CLI, run } from "../build/harness.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const docker = dockerClient();
const probe = await probePostgres();
const gate = engineGate(
  "Docker engine, registry and PostgreSQL",
  (await dockerProblem(docker)) ??
    (await registryProblem()) ??
    (probe.available ? undefined : probe.reason),
);

describe.skipIf(gate.skip)("envforge worker processes on the real engine", () => {
  let database: TestDatabase;
  let store: WorkspaceStore;
  let queue: BuildQueue;
  let environments: EnvironmentService;
  let builds: BuildService;
  let dir: string;
  const registry = `${PLAIN_REGISTRY}/envforge-test/workers-${randomBytes(4).toString("hex")}`;
  const children: ChildProcessWithoutNullStreams[] = [];
  const images: string[] = [];

  beforeAll(async () => {
    gate.require();
    if (!probe.available) return;
    database = await createTestDatabase(probe.adminUrl);
    store = await openPostgresStore({ url: database.url, clock: () => new Date() });
    queue = await openPgBossQueue({ url: database.url });
    environments = createEnvironmentService({ store, curated: NO_CURATED });
    builds = createBuildService({ store, versions: environments });
    dir = mkdtempSync(join(tmpdir(), "envforge-engine-workers-"));
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const image of images) await removeImage(docker, image);
    await queue?.close();
    await store?.close();
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(id: string): Promise<ChildProcessWithoutNullStreams> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "worker", "--id", id, "--lease", "1", "--poll", "0.2"],
      {
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          ENVFORGE_HOME: join(dir, id),
          ENVFORGE_CONFIG: join(dir, "none.yaml"),
          ENVFORGE_DATABASE_URL: database.url,
          ENVFORGE_REGISTRY: registry,
        },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    children.push(child);
    let output = "";
    return new Promise((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (output.includes("envforge worker:")) resolve(child);
      });
      child.once("exit", (code) => reject(new Error(`worker ${id} exited ${code}: ${output}`)));
    });
  }

  async function register(name: string, dockerfile: string): Promise<void> {
    const definition = assembleDefinition(
      {
        kind: "dockerfile",
        base: { kind: "dockerfile", dockerfile },
      },
      DEFAULT_PARSE_SETTINGS,
    );
    await environments.registerEnvironment({ name, definition, sourceFiles: {} });
  }

  async function logOf(id: string): Promise<string> {
    return (await builds.readBuildLog({ id })).map((c) => c.text).join("");
  }

  it("one build for concurrent requests; a killed worker's build finishes on another; one image", async () => {
    const a = await startWorker("worker-a");
    const marker = randomBytes(4).toString("hex");
    await register(
      "slow",
      `FROM ${BASE_IMAGE}\nRUN echo start-${marker} && sleep 4 && echo ${marker} > /x\n`,
    );
    const requests = await Promise.all(
      Array.from({ length: 4 }, () => builds.requestBuild({ name: "slow", registry })),
    );
    expect(new Set(requests.map((r) => r.build.id)).size).toBe(1);
    expect(requests.filter((r) => r.created)).toHaveLength(1);
    const { build } = requests[0]!;
    images.push(`${build.image.name}:latest`);
    await queue.notify(build.id);

    await waitFor(async () => (await logOf(build.id)).includes(`start-${marker}`), 30_000);
    expect((await builds.getBuild({ id: build.id })).workerId).toBe("worker-a");
    a.kill("SIGKILL");
    await new Promise((resolve) => a.once("exit", resolve));

    await startWorker("worker-b");
    await waitFor(
      async () => (await builds.getBuild({ id: build.id })).state === "succeeded",
      60_000,
    );
    const done = await builds.getBuild({ id: build.id });
    expect(done).toMatchObject({ attempt: 2, workerId: "worker-b" });
    const log = await logOf(build.id);
    expect(log).toContain("the worker of attempt 1 stopped renewing its lease; queued again");
    expect(log.match(/taken by worker/g)).toHaveLength(2);

    // One image in the registry, the one the build recorded.
    const repository = done.image.name.slice(PLAIN_REGISTRY.length + 1);
    const head = await fetch(`http://${PLAIN_REGISTRY}/v2/${repository}/manifests/latest`, {
      method: "HEAD",
      headers: {
        accept:
          "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
      },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(done.image.digest);
  }, 120_000);

  it("builds an uploaded build context from the shared store, not from any folder", async () => {
    const marker = randomBytes(4).toString("hex");
    const folder = join(dir, "uploaded-context");
    mkdirSync(folder);
    writeFileSync(join(folder, "Dockerfile"), `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`);
    writeFileSync(join(folder, "note.txt"), `from the store ${marker}\n`);
    // As `envforge serve` receives it: the files travel in the upload, the folder stays behind.
    const { files } = await collectDefinitionFiles("uploaded-context", { cwd: dir });
    const loaded = loadDefinitionFiles(files, { settings: DEFAULT_PARSE_SETTINGS });
    await environments.registerEnvironment({
      name: "uploaded",
      definition: loaded.definition,
      sourceFiles: loaded.sourceFiles,
      contextContent: loaded.contextContent,
    });
    rmSync(folder, { recursive: true, force: true });

    await startWorker("worker-context");
    const { build } = await builds.requestBuild({ name: "uploaded", registry });
    await queue.notify(build.id);
    await waitFor(async () => {
      const state = (await builds.getBuild({ id: build.id })).state;
      return state === "succeeded" || state === "failed";
    }, 60_000);
    const done = await builds.getBuild({ id: build.id });
    expect(done.state, `${done.reason ?? ""}\n${await logOf(build.id)}`).toBe("succeeded");
    images.push(`${done.image.name}:latest`);
    const { stdout } = await run(DOCKER_CLI, [
      "run",
      "--rm",
      "--network",
      "none",
      `${done.image.name}:latest`,
      "cat",
      "/ctx/note.txt",
    ]);
    expect(stdout).toBe(`from the store ${marker}\n`);
  }, 90_000);

  it("fails a build whose RUN step fails, with a reason naming the step", async () => {
    await register(
      "broken",
      `FROM ${BASE_IMAGE}\nRUN echo broken-${randomBytes(4).toString("hex")} && exit 9\n`,
    );
    const { build } = await builds.requestBuild({ name: "broken", registry });
    await queue.notify(build.id);
    await waitFor(async () => (await builds.getBuild({ id: build.id })).state === "failed", 60_000);
    const failed = await builds.getBuild({ id: build.id });
    expect(failed.attempt).toBe(1);
    expect(failed.failedStep).toMatch(/^\[2\/2\] RUN echo broken-[0-9a-f]+ && exit 9$/);
    expect(failed.reason).toContain(`build failed at step ${failed.failedStep ?? ""}`);
    expect(failed.reason).toContain("exit code: 9");
  }, 90_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
