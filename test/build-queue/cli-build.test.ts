/**
 * `envforge env build` on the real Docker engine and registry, SQLite workspace (this process
 * is the worker): a build that succeeds and pushes, the same image again as a cache hit, a failing
 * RUN step that exits 5 with a reason naming the step, and `build logs` / `build list`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { createBuildLeases, createBuildService } from "../../src/workspace/build-api.js";
import { createEnvironmentService, NO_CURATED } from "../../src/workspace/index.js";
import { openSqliteStore } from "../../src/workspace/sqlite-store.js";
import { cli } from "../support/run-cli.js";

const BuiltImage = z.looseObject({
  id: z.string(),
  state: z.string(),
  image: z.object({ name: z.string(), digest: z.string() }),
});

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

describe.skipIf(gate.skip)("envforge env build on the Docker engine", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const images: string[] = [];
  const registry = `${PLAIN_REGISTRY}/envforge-test/cli-${randomBytes(4).toString("hex")}`;

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-cli-build-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "config.yaml"),
      HOME: dir,
    };
    // The registry comes from the config file: flags > environment > file.
    writeFileSync(join(dir, "config.yaml"), `registry: ${registry}\n`);
  });
  afterAll(async () => {
    for (const image of images) await removeImage(docker, image);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function dockerfile(name: string, run: string): string {
    const path = join(dir, `${name}.Dockerfile`);
    writeFileSync(path, `FROM ${BASE_IMAGE}\nRUN ${run}\n`);
    return path;
  }

  it("builds and pushes, then finds the image again as a cache hit", async () => {
    const file = dockerfile("ok", `echo envforge-${randomBytes(4).toString("hex")} > /hello.txt`);
    expect((await cli(["env", "create", "-f", file, "-n", "hello"], { env })).code).toBe(0);
    const first = await cli(["env", "build", "hello", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const build = BuiltImage.parse(JSON.parse(first.stdout));
    expect(build).toMatchObject({ state: "succeeded", cacheHit: false, attempt: 1 });
    const { image, id } = build;
    images.push(`${image.name}:latest`);
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.stderr).toContain("RUN echo envforge-");

    const second = await cli(["env", "build", "hello@1", "--json"], { env });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      state: "succeeded",
      cacheHit: true,
      image: { digest: image.digest },
    });

    const details = await cli(["env", "show", "hello", "--image", "--json"], { env });
    expect(JSON.parse(details.stdout)).toMatchObject({ image, existsInRegistry: true });

    const logs = await cli(["build", "logs", id], { env });
    expect(logs.stdout).toContain(`envforge: build succeeded: ${image.digest}`);
    const list = await cli(["build", "list"], { env });
    expect(list.stdout.split("\n").filter((line) => line.includes("hello@1"))).toHaveLength(2);
  });

  it("fails with exit 5 and a reason that names the failing step", async () => {
    const file = dockerfile("bad", "echo about-to-fail && exit 3");
    expect((await cli(["env", "create", "-f", file, "-n", "bad"], { env })).code).toBe(0);
    const result = await cli(["env", "build", "bad"], { env });
    expect(result.code).toBe(5);
    // The reason is said once, on the error line: no summary, no log line saying it again.
    expect(result.stderr).toMatch(
      /^envforge: build \S+ failed: build failed at step \[2\/2\] RUN echo about-to-fail && exit 3: .*exit code: 3\n$/m,
    );
    const said = result.stdout + result.stderr;
    expect(said.match(/executor failed running/g)).toHaveLength(1);
    expect(said).not.toContain("state:");
    expect(said).toMatch(/^envforge: queued build of bad version 1 as \S+ \(build \S+\)$/m);
    expect(said).not.toMatch(/attempt \d of \d|last lines/);
  });

  it("takes over a build whose process died, once its lease runs out", async () => {
    const file = dockerfile("orphan", `echo orphan-${randomBytes(4).toString("hex")} > /o.txt`);
    expect((await cli(["env", "create", "-f", file, "-n", "orphan"], { env })).code).toBe(0);
    // A process that queued and claimed the build, then died: its lease is never renewed.
    const store = await openSqliteStore({
      path: join(dir, "home", "envforge.db"),
      clock: () => new Date(),
    });
    let id: string;
    try {
      const environments = createEnvironmentService({ store, curated: NO_CURATED });
      const builds = createBuildService({ store, versions: environments });
      id = (await builds.requestBuild({ name: "orphan", registry })).build.id;
      const claimed = await createBuildLeases({ store }).claim({
        workerId: "dead-process",
        leaseMs: 800,
        id,
      });
      expect(claimed?.build.attempt).toBe(1);
    } finally {
      await store.close();
    }
    const result = await cli(["env", "build", "orphan", "--json"], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`joined build ${id}`);
    const build = BuiltImage.parse(JSON.parse(result.stdout));
    expect(build).toMatchObject({ id, state: "succeeded", attempt: 2 });
    images.push(`${build.image.name}:latest`);
  });
});
