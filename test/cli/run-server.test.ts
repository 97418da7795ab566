/**
 * `envforge run --server` and `envforge job … --server` against a real `envforge serve` on
 * 127.0.0.1 with no registry (its builds stay in the local Docker engine): the job goes through
 * the API, the server builds the image first, the job's output streams back (stdout and stderr
 * apart) and its exit code 3 is this command's. The selectors name the version on the way.
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
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { BASE_IMAGE, freePort, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const Job = z.looseObject({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  state: z.string(),
  exitCode: z.number().nullable(),
  imageName: z.string(),
});

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);
const repo = resolve(import.meta.dirname, "../..");

describe.skipIf(gate.skip)("envforge run --server", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;
  let env: NodeJS.ProcessEnv;
  const seen: string[] = [];
  const marker = `through-api-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-run-server-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "serve", "--port", String(port)],
      {
        env: {
          ...process.env,
          ...LOOPBACK_DEFAULTS,
          ENVFORGE_REGISTRY: "",
          ENVFORGE_DATABASE_URL: "",
          ENVFORGE_SERVER: "",
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
    // The client's own home is empty: anything found there would not have come from the server.
    env = {
      ENVFORGE_HOME: join(dir, "client-home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      HOME: dir,
    };
    const file = join(dir, "Dockerfile");
    writeFileSync(file, `FROM ${BASE_IMAGE}\nRUN echo ${marker} > /marker.txt\n`);
    const created = await cli(["env", "create", "-f", file, "-n", "served", "--server", url], {
      env,
    });
    expect(created.code, created.stderr).toBe(0);
    const labelled = await cli(["env", "label", "served@1", "prod", "--server", url], { env });
    expect(labelled.code, labelled.stderr).toBe(0);
  }, 60_000);
  // The image this test's server built, removed by its id.
  const built = new Set<string>();
  afterAll(async () => {
    server?.kill("SIGTERM");
    for (const id of built) await removeImage(docker, id);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("passes the job's exit code 3 through and streams its output", async () => {
    const script = `cat /marker.txt; echo to-stderr >&2; echo "$GREETING"; exit 3`;
    const result = await cli(
      ["run", "served:prod", "--server", url, "--env", "GREETING=hello", "--", "sh", "-c", script],
      { env },
    );
    expect(result.code, `${result.stderr}\n${seen.join("")}`).toBe(3);
    expect(result.stdout).toBe(`${marker}\nhello\n`);
    expect(result.stderr).toContain("to-stderr\n");
    expect(result.stderr).toMatch(new RegExp(`^job \\S+ on ${url}: sh -c`, "m"));
    expect(result.stderr).toMatch(/job \S+ failed \(exit code 3\)/);

    // The job is the server's, read back through the jobs client over HTTP.
    const listed = await cli(["job", "list", "--json"], { env: { ...env, ENVFORGE_SERVER: url } });
    expect(listed.code, listed.stderr).toBe(0);
    const page = z.object({ items: z.array(Job) }).parse(JSON.parse(listed.stdout));
    const [job] = page.items;
    expect(job).toMatchObject({ name: "served", version: 1, state: "failed", exitCode: 3 });
    const builds = await cli(["build", "list", "--server", url, "--json"], { env });
    const images = z.object({
      items: z.array(z.object({ image: z.object({ id: z.string().nullable() }) })),
    });
    for (const build of images.parse(JSON.parse(builds.stdout)).items) {
      if (build.image.id !== null) built.add(build.image.id);
    }
    const logs = await cli(["job", "logs", job?.id ?? "", "--server", url], { env });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe(`${marker}\nhello\n`);
    expect(logs.stderr).toBe("to-stderr\n");
    const shown = await cli(["job", "show", job?.id ?? "", "--server", url], { env });
    expect(shown.stdout).toMatch(/^exit code: +3$/m);

    // The local workspace never saw it.
    const local = await cli(["job", "list", "--json"], { env });
    expect(JSON.parse(local.stdout)).toEqual({ items: [] });
  }, 240_000);

  it("a zero exit is zero, with NDJSON for --json", async () => {
    const result = await cli(
      ["run", "served@1", "--server", url, "--json", "--", "sh", "-c", "echo fine"],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => z.looseObject({ event: z.string() }).parse(JSON.parse(line)));
    expect(events[0]?.event).toBe("job");
    expect(events.at(-1)).toMatchObject({ event: "job", job: { state: "succeeded", exitCode: 0 } });
    expect(
      events.some(
        (event) => event.event === "output" && "text" in event && event.text === "fine\n",
      ),
    ).toBe(true);
  }, 120_000);

  it("refuses what a server cannot do with this machine's files, before anything runs", async () => {
    const result = await cli(
      ["run", "served", "--server", url, "--mount", `${dir}:/data`, "--", "true"],
      { env },
    );
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(
      "--server: a job on a server cannot take these options (found --mount (the server has none of this machine's folders)",
    );
    const jobs = await cli(["job", "list", "--server", url, "--json"], { env });
    expect(z.object({ items: z.array(Job) }).parse(JSON.parse(jobs.stdout)).items).toHaveLength(2);
  });
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
