/**
 * One machine, no registry, on the real Docker engine: `env build` keeps the image in the local
 * engine under its hash name (a second build is a cache hit), `env show --image` says where it is,
 * `run` runs in it by id without pulling and passes the exit code on, and a PostgreSQL workspace
 * refuses a build without a registry, naming ENVFORGE_REGISTRY.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import type { TestDatabase } from "../support/postgres.js";
import { createTestDatabase, probePostgres } from "../support/postgres.js";
import { BASE_IMAGE, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const LocalBuild = z.looseObject({
  id: z.string(),
  state: z.string(),
  cacheHit: z.boolean().nullable(),
  imageHash: z.string(),
  image: z.object({
    name: z.string(),
    registry: z.null(),
    location: z.literal("local-engine"),
    digest: z.null(),
    id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  }),
});

const Inspected = z.object({
  Id: z.string(),
  RepoDigests: z.array(z.string()).nullable(),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullable() }),
});

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and base image",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("envforge with no registry on the local Docker engine", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** Image ids this file made, removed at the end. */
  const made = new Set<string>();

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-cli-local-"));
    // No config file and no ENVFORGE_REGISTRY: nothing names a registry.
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      HOME: dir,
    };
  });
  afterAll(async () => {
    for (const id of made) await removeImage(docker, id);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function dockerfile(name: string, run: string): string {
    const path = join(dir, `${name}.Dockerfile`);
    writeFileSync(path, `FROM ${BASE_IMAGE}\nRUN ${run}\n`);
    return path;
  }

  it("builds into the engine, finds it again as a cache hit, shows where it is, and runs in it", async () => {
    const marker = `local-${randomBytes(4).toString("hex")}`;
    const file = dockerfile("local", `echo ${marker} > /hello.txt`);
    expect((await cli(["env", "create", "-f", file, "-n", "local"], { env })).code).toBe(0);

    const first = await cli(["env", "build", "local", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const build = LocalBuild.parse(JSON.parse(first.stdout));
    made.add(build.image.id);
    expect(build).toMatchObject({
      state: "succeeded",
      cacheHit: false,
      image: { name: `envforge/${build.imageHash}` },
    });
    expect(first.stderr).toContain(`RUN echo ${marker}`);
    expect(first.stderr).not.toContain("pushing");
    const image = Inspected.parse(
      await docker.getImage(`envforge/${build.imageHash}:latest`).inspect(),
    );
    expect(image.Id).toBe(build.image.id);
    expect(image.RepoDigests ?? []).toEqual([]);
    expect(image.Config.Labels?.["dev.envforge.image-hash"]).toBe(build.imageHash);

    const second = await cli(["env", "build", "local@1", "--json"], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(LocalBuild.parse(JSON.parse(second.stdout))).toMatchObject({
      state: "succeeded",
      cacheHit: true,
      image: { id: build.image.id },
    });
    expect(second.stderr).not.toContain(`RUN echo ${marker}`);
    expect(second.stderr).toContain(
      `envforge: cache hit: the local engine has envforge/${build.imageHash}:latest (${build.image.id})`,
    );

    const shown = await cli(["build", "show", build.id], { env });
    expect(shown.stdout).toContain("kept in:     the local Docker engine (no registry)");
    expect(shown.stdout).toContain(`image id:    ${build.image.id}`);

    const details = await cli(["env", "show", "local", "--image", "--json"], { env });
    expect(JSON.parse(details.stdout)).toMatchObject({
      image: build.image,
      existsInRegistry: false,
    });
    const text = await cli(["env", "show", "local", "--image"], { env });
    expect(text.stdout).toContain("built:       yes\n");
    expect(text.stdout).toContain(
      `kept in:     the local Docker engine, image id ${build.image.id} (no registry: never pushed)\n`,
    );

    const ran = await cli(
      ["run", "local", "--no-workdir", "--", "sh", "-c", "cat /hello.txt; exit 7"],
      { env },
    );
    expect(ran.code, ran.stderr).toBe(7);
    expect(ran.stdout).toBe(`${marker}\n`);
    expect(ran.stderr).toContain(`in ${build.image.id}`);
    expect(ran.stderr).not.toContain("queued build");
  });

  it("builds the image again before a run when the engine no longer has it", async () => {
    const marker = `gone-${randomBytes(4).toString("hex")}`;
    const file = dockerfile("gone", `echo ${marker} > /gone.txt`);
    expect((await cli(["env", "create", "-f", file, "-n", "gone"], { env })).code).toBe(0);
    const first = await cli(["env", "build", "gone", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const build = LocalBuild.parse(JSON.parse(first.stdout));
    await removeImage(docker, build.image.id);

    const ran = await cli(["run", "gone", "--no-workdir", "--", "cat", "/gone.txt"], { env });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe(`${marker}\n`);
    expect(ran.stderr).toContain(
      `envforge/${build.imageHash} (${build.image.id}) is no longer in the local Docker engine; building it again`,
    );
    const again = await cli(["env", "build", "gone", "--json"], { env });
    const rebuilt = LocalBuild.parse(JSON.parse(again.stdout));
    made.add(rebuilt.image.id);
    expect(rebuilt.cacheHit).toBe(true);
  });
});

const postgres = await probePostgres();

describe.skipIf(!postgres.available)("envforge with no registry on a PostgreSQL workspace", () => {
  let dir: string;
  let database: TestDatabase;

  beforeAll(async () => {
    if (!postgres.available) return;
    database = await createTestDatabase(postgres.adminUrl);
    dir = mkdtempSync(join(tmpdir(), "envforge-cli-local-pg-"));
  });
  afterAll(async () => {
    await database?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to build, since its workers share images only through a registry", async () => {
    const env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      ENVFORGE_DATABASE_URL: database.url,
      HOME: dir,
    };
    const file = join(dir, "fleet.Dockerfile");
    writeFileSync(file, `FROM ${BASE_IMAGE}\n`);
    expect((await cli(["env", "create", "-f", file, "-n", "fleet"], { env })).code).toBe(0);
    const result = await cli(["env", "build", "fleet"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "registry: a PostgreSQL workspace's builds are taken by workers on any machine, which share images only through a registry",
    );
    expect(result.stderr).toContain("set ENVFORGE_REGISTRY (e.g. 127.0.0.1:5000/envforge)");
    const list = await cli(["build", "list"], { env });
    expect(list.stdout.trim()).toBe("no builds");
  });
});
