/**
 * A real `envforge serve` with no registry (SQLite, its own worker) on the real Docker engine:
 * a build through the API keeps the image in the server's engine, the next one is a cache hit,
 * image details say local engine with the image id, and a job posted over HTTP runs in that
 * image and keeps its exit code.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, freePort, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const LocalImage = z.object({
  name: z.string(),
  registry: z.null(),
  location: z.literal("local-engine"),
  digest: z.null(),
  id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
const Built = z.looseObject({ state: z.string(), cacheHit: z.boolean(), image: LocalImage });
const Job = z.looseObject({
  id: z.string(),
  state: z.string(),
  exitCode: z.number().nullable(),
  imageName: z.string(),
});
const LogPage = z.object({ items: z.array(z.looseObject({ text: z.string() })) });

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);
const repo = resolve(import.meta.dirname, "../..");

describe.skipIf(gate.skip)("envforge serve with no registry", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;
  const seen: string[] = [];
  const made = new Set<string>();

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-serve-local-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "serve", "--port", String(port)],
      {
        // process.env for PATH and the like, minus any registry: this server has none.
        env: {
          ...process.env,
          ENVFORGE_REGISTRY: "",
          ENVFORGE_DATABASE_URL: "",
          ENVFORGE_HOME: join(dir, "server-home"),
          ENVFORGE_CONFIG: join(dir, "missing.yaml"),
          HOME: dir,
        },
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    server.stdout?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    await waitUntilUp(`${url}/healthz`);
  });
  afterAll(async () => {
    server?.kill("SIGTERM");
    for (const id of made) await removeImage(docker, id);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("builds into the server's engine, reports it there, and runs a job in it", async () => {
    const marker = `served-${randomBytes(4).toString("hex")}`;
    const file = join(dir, "served.Dockerfile");
    writeFileSync(file, `FROM ${BASE_IMAGE}\nRUN echo ${marker} > /served.txt\n`);
    const env = { ENVFORGE_CONFIG: join(dir, "missing.yaml"), HOME: dir };
    const created = await cli(["env", "create", "-f", file, "-n", "served", "--server", url], {
      env,
    });
    expect(created.code, created.stderr).toBe(0);

    const first = await cli(["env", "build", "served", "--server", url, "--json"], { env });
    expect(first.code, `${first.stderr}\n${seen.join("")}`).toBe(0);
    const build = Built.parse(JSON.parse(first.stdout));
    made.add(build.image.id);
    expect(build).toMatchObject({ state: "succeeded", cacheHit: false });
    const second = await cli(["env", "build", "served", "--server", url, "--json"], { env });
    expect(Built.parse(JSON.parse(second.stdout))).toMatchObject({
      cacheHit: true,
      image: build.image,
    });

    const details = await getJson(
      `${url}/v1/workspaces/default/environments/served/versions/1/image-details`,
    );
    expect(details).toMatchObject({ image: build.image, existsInRegistry: false });

    const posted = await fetch(`${url}/v1/workspaces/default/environments/served/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command: ["sh", "-c", "cat /served.txt; exit 4"] }),
    });
    expect(posted.status, await posted.clone().text()).toBe(202);
    const job = Job.parse(await posted.json());
    expect(job.imageName).toBe(build.image.id);
    const done = await waitForJob(job.id);
    expect(done).toMatchObject({ state: "failed", exitCode: 4 });
    const log = LogPage.parse(await getJson(`${url}/v1/workspaces/default/jobs/${job.id}/logs`));
    expect(log.items.map((chunk) => chunk.text).join("")).toContain(`${marker}\n`);
  });

  async function getJson(address: string): Promise<unknown> {
    const response = await fetch(address);
    expect(response.status, address).toBe(200);
    return response.json();
  }

  async function waitForJob(id: string): Promise<z.infer<typeof Job>> {
    for (let attempt = 0; attempt < 240; attempt += 1) {
      const job = Job.parse(await getJson(`${url}/v1/workspaces/default/jobs/${id}`));
      if (job.state === "succeeded" || job.state === "failed") return job;
      await new Promise((done) => setTimeout(done, 250));
    }
    throw new Error(`job ${id} did not finish`);
  }
});

async function waitUntilUp(address: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      if ((await fetch(address)).ok) return;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${address} did not answer`);
}
