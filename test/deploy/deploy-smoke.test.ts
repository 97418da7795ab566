/**
 * The deploy smoke test (issue 13, point 8): a team's set-up as docs/deploy.md gives it, on
 * this machine's engines: PostgreSQL (a fresh database), `envforge serve --auth` and two
 * `envforge worker` processes, each its own process started with the settings the doc's units
 * set. A build and a job go through them: the server builds and runs nothing itself, a worker
 * takes each, the image is pushed to the registry on 127.0.0.1:5000, and the job's output and
 * exit code come back over the API.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import type { TestDatabase } from "../support/postgres.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const repo = resolve(import.meta.dirname, "../..");
const MAIN = join(repo, "src/cli/main.ts");
const TSX = join(repo, "node_modules/.bin/tsx");
const docker = dockerClient();
const probe = await probePostgres();
const gate = engineGate(
  "PostgreSQL, Docker engine and registry",
  (probe.available ? undefined : probe.reason) ??
    (await dockerProblem(docker)) ??
    (await registryProblem()),
);

const Serving = z.object({ url: z.string() });
const BuildAnswer = z.looseObject({
  id: z.string(),
  state: z.string(),
  workerId: z.string().nullable(),
  reason: z.string().nullable().optional(),
  image: z.looseObject({ name: z.string() }),
});
const JobAnswer = z.looseObject({
  id: z.string(),
  state: z.string(),
  exitCode: z.number().nullable(),
  reason: z.string().nullable().optional(),
});
const LogPage = z.object({ items: z.array(z.looseObject({ text: z.string() })) });

describe.skipIf(gate.skip)("a team's deployment: serve, PostgreSQL and two workers", () => {
  let dir: string;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let token: string;
  const children: ChildProcess[] = [];
  const output = new Map<ChildProcess, string[]>();
  const made: string[] = [];

  /** One `envforge …` process with the unit's settings; resolves once `ready` matches a line. */
  async function start(
    args: string[],
    ready: RegExp,
  ): Promise<{ child: ChildProcess; line: string }> {
    // The source under tsx, so the test runs what is in the tree (the units run bin/envforge).
    const child = spawn(TSX, [MAIN, ...args], {
      env,
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const lines: string[] = [];
    output.set(child, lines);
    const line = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`envforge ${args.join(" ")} did not start: ${lines.join("\n")}`)),
        60_000,
      );
      for (const stream of [child.stdout, child.stderr]) {
        if (stream === null) continue;
        createInterface({ input: stream }).on("line", (text) => {
          lines.push(text);
          if (ready.test(text)) {
            clearTimeout(timer);
            done(text);
          }
        });
      }
      child.once("exit", (code) =>
        fail(new Error(`envforge ${args.join(" ")} exited with ${code}: ${lines.join("\n")}`)),
      );
    });
    return { child, line };
  }

  async function api(path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${url}/v1/workspaces/default${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
  }

  async function until<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline)
        throw new Error(`${what} did not finish: ${JSON.stringify(value)}`);
      await sleep(250);
    }
  }

  beforeAll(async () => {
    gate.require();
    if (!probe.available) return;
    dir = mkdtempSync(join(tmpdir(), "envforge-deploy-"));
    database = await createTestDatabase(probe.adminUrl);
    // The settings docs/deploy.md puts in /etc/envforge/envforge.env.
    env = withLoopbackDefaults({
      PATH: process.env["PATH"],
      HOME: dir,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_DATABASE_URL: database.url,
      ENVFORGE_REGISTRY: `${PLAIN_REGISTRY}/envforge-test/deploy-${randomBytes(4).toString("hex")}`,
      DOCKER_HOST: "unix:///var/run/docker.sock",
    });
    // The first admin token, made on the database as the doc says.
    const created = await cli(["token", "create", "--name", "admin", "--scope", "admin"], { env });
    expect(created.code, created.stderr).toBe(0);
    token = /efk_[A-Za-z0-9_-]+/.exec(created.stdout)?.[0] ?? "";
    expect(token).not.toBe("");

    const served = await start(
      ["serve", "--host", "127.0.0.1", "--port", "0", "--auth", "--json"],
      /"url"/,
    );
    url = Serving.parse(JSON.parse(served.line)).url;
    for (const id of ["worker-a", "worker-b"]) {
      await start(["worker", "--id", id, "--poll", "1"], /^envforge worker: /);
    }
  }, 180_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([
          new Promise((done) => child.once("exit", done)),
          sleep(10_000).then(() => child.kill("SIGKILL")),
        ]);
      }
    }
    for (const image of made) await removeImage(docker, image);
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("builds on a worker and runs a job on a worker", async () => {
    const marker = `deploy-${randomBytes(4).toString("hex")}`;
    const registered = await api("/environments/smoke/versions", {
      entry: "Dockerfile",
      files: { Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${marker} > /marker\n` },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);

    const requested = await api("/environments/smoke/builds", {});
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const id = BuildAnswer.parse(requested.body).id;
    const build = await until(
      async () => BuildAnswer.parse((await api(`/builds/${id}`)).body),
      (b) => ["succeeded", "failed", "canceled"].includes(b.state),
      `build ${id}`,
    );
    expect(build.state, build.reason ?? "").toBe("succeeded");
    made.push(`${build.image.name}:latest`);
    expect(["worker-a", "worker-b"]).toContain(build.workerId);

    const posted = await api("/environments/smoke/jobs", {
      command: ["sh", "-c", 'echo "job saw $(cat /marker) and $GREETING"; exit 3'],
      env: { GREETING: "hello" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const jobId = JobAnswer.parse(posted.body).id;
    const job = await until(
      async () => JobAnswer.parse((await api(`/jobs/${jobId}`)).body),
      (j) => ["succeeded", "failed", "canceled"].includes(j.state),
      `job ${jobId}`,
    );
    expect(job.exitCode, job.reason ?? "").toBe(3);
    const logs = await api(`/jobs/${jobId}/logs`);
    const log = LogPage.parse(logs.body)
      .items.map((chunk) => chunk.text)
      .join("");
    expect(log).toContain(`job saw ${marker} and hello`);

    // A worker ran it, not the server.
    const workerLines = [...output.entries()]
      .filter(([, lines]) => lines.some((l) => l.startsWith("envforge worker: ")))
      .flatMap(([, lines]) => lines);
    expect(workerLines.some((l) => l.includes(`job ${jobId}`) && l.includes("taken"))).toBe(true);
  }, 300_000);
});
