/**
 * What a command loads before it does anything (issue 9, point 4): the real CLI entry point in
 * its own process, with a module hook that records every module it resolves. Not timed (that is
 * bench/cli.bench.ts): this pins which packages stay unloaded, so a new static import of the
 * Docker client, the HTTP server, a database driver or the conda solver into a light command's
 * path fails here rather than slowing every invocation.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { withLoopbackDefaults } from "../support/loopback-defaults.js";
import { BASE_IMAGE } from "../support/registry.js";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "src/cli/main.ts");
const TRACE_HOOKS = join(REPO, "test/support/module-trace/register.mjs");
const dir = mkdtempSync(join(tmpdir(), "envforge-start-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packages only builds, servers, workers, PostgreSQL and locking need. */
const HEAVY = [
  "@conda-org/rattler",
  "@grpc/grpc-js",
  "dockerode",
  "fastify",
  "pg",
  "pg-boss",
  "tar",
  "tar-stream",
  "yauzl",
  "pip-requirements-js",
];

/** Packages only the definition parsers use (YAML, PEP 440 versions, .dockerignore). */
const DEFINITION_PARSING = ["yaml", "@renovatebot/pep440", "@balena/dockerignore"];

let traces = 0;
const docker = dockerClient();
const gate = engineGate("Docker engine", await dockerProblem(docker));

/** What the tests read of `env build --json`. */
const Built = z.looseObject({
  cacheHit: z.boolean().nullable(),
  image: z.looseObject({ name: z.string(), id: z.string() }),
});

/** Modules of the build machinery itself: the builders and the Docker client's wiring. */
const BUILDERS = [
  "src/builders/docker-engine-builder.ts",
  "src/builders/native/native-builder.ts",
  "src/builders/native/docker-local-engine.ts",
  "src/jobs/docker-endpoint.ts",
  "src/client/open-image-builder.ts",
];

/**
 * Runs the CLI from source; returns the npm packages it loaded (by name), the project's own
 * modules it loaded (paths from the repository's root), stdout, stderr and exit code.
 */
async function loadedPackages(
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<{
  packages: Set<string>;
  modules: Set<string>;
  stdout: string;
  stderr: string;
  code: number;
}> {
  const trace = join(dir, `trace-${++traces}.txt`);
  const { stdout, stderr, code } = await run(
    process.execPath,
    ["--import", "tsx", "--import", TRACE_HOOKS, MAIN, ...argv],
    {
      cwd: REPO,
      env: withLoopbackDefaults({
        PATH: process.env.PATH,
        HOME: dir,
        ENVFORGE_HOME: join(dir, "home"),
        ENVFORGE_CONFIG: join(dir, "missing.yaml"),
        ENVFORGE_MODULE_TRACE: trace,
        ...env,
      }),
    },
  ).then(
    (done) => ({ stdout: done.stdout, stderr: done.stderr, code: 0 }),
    (failed: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
      code: failed.code ?? -1,
    }),
  );
  const urls = readFileSync(trace, "utf8").split("\n");
  const packages = new Set(
    urls.flatMap((url) => {
      const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      return match?.[1] === undefined ? [] : [match[1]];
    }),
  );
  const modules = new Set(
    urls.flatMap((url) =>
      url.startsWith(`file://${REPO}/src/`) ? [url.slice(`file://${REPO}/`.length)] : [],
    ),
  );
  return { packages, modules, stdout, stderr, code };
}

describe("what a command loads", () => {
  it("env build of a missing name loads no builder: it is refused before anything is built", async () => {
    const { packages, modules, code } = await loadedPackages(["env", "build", "missing"]);
    expect(code).toBe(3);
    expect(packages.has("dockerode")).toBe(false);
    expect(BUILDERS.filter((path) => modules.has(path))).toEqual([]);
  });

  describe.skipIf(gate.skip)("env build in the local engine", () => {
    const made = new Set<string>();
    afterAll(async () => {
      for (const id of made) await removeImage(docker, id);
    });

    it("a build that runs loads the builders and the Docker client; its cache hit loads neither", async () => {
      gate.require();
      // A step of its own, so the first build is a miss on every run of this test.
      const dockerfile = join(dir, "Dockerfile");
      writeFileSync(
        dockerfile,
        `FROM ${BASE_IMAGE}\nRUN echo ${randomBytes(6).toString("hex")} > /nonce\n`,
      );
      expect((await loadedPackages(["env", "create", "-f", dockerfile, "-n", "hit"])).code).toBe(0);

      const built = await loadedPackages(["env", "build", "hit", "--json"]);
      expect(built.code).toBe(0);
      const first = Built.parse(JSON.parse(built.stdout));
      made.add(first.image.id);
      expect(first.cacheHit).toBe(false);
      // The trace sees what a build loads: the same names are what the cache hit must not load.
      expect(built.packages.has("dockerode")).toBe(true);
      expect(BUILDERS.filter((path) => built.modules.has(path))).toEqual(BUILDERS);

      const hit = await loadedPackages(["env", "build", "hit", "--json"]);
      expect(hit.code).toBe(0);
      const second = Built.parse(JSON.parse(hit.stdout));
      expect(second).toMatchObject({ cacheHit: true, image: { id: first.image.id } });
      expect(hit.stderr).toContain(
        `cache hit: the local engine has ${first.image.name}:latest (${first.image.id})`,
      );
      expect(HEAVY.filter((name) => hit.packages.has(name))).toEqual([]);
      expect(BUILDERS.filter((path) => hit.modules.has(path))).toEqual([]);
      // Nor the HTTP adapters and the API's schemas: a local build talks to no server.
      expect([...hit.modules].filter((path) => /^src\/(api\/|client\/http-)/.test(path))).toEqual(
        [],
      );
    });
  });

  it("--version loads no package at all, not even commander", async () => {
    const { packages, stdout, code } = await loadedPackages(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect([...packages]).toEqual(["tsx"].filter((name) => packages.has(name)));
  });

  it("hash FILE loads none of the heavy packages", async () => {
    const { packages, modules, stdout, code } = await loadedPackages([
      "hash",
      join(REPO, "examples/pytorch/environment.yml"),
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^envforge_[0-9a-f]{32}\n$/);
    expect(packages.has("commander")).toBe(true);
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
    expect(packages.has("better-sqlite3")).toBe(false);
    // A file is no folder: neither the Azure ML v1 folder reader nor the build-context walk
    // (with p-limit) loads for it.
    expect(packages.has("p-limit")).toBe(false);
    expect(
      ["src/host/azureml-v1-folder.ts", "src/host/walk-build-context.ts"].filter((path) =>
        modules.has(path),
      ),
    ).toEqual([]);
  });

  it("env list on SQLite loads its driver and none of the heavy packages", async () => {
    const { packages, stdout, code } = await loadedPackages(["env", "list", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toBeDefined();
    expect(packages.has("better-sqlite3")).toBe(true);
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
    // Listing parses no definition: the parsers load with a registration, image details or a
    // curated file, not with the workspace.
    expect(DEFINITION_PARSING.filter((name) => packages.has(name))).toEqual([]);
  });

  it("without a config file, a command that parses no definition loads neither yaml nor zod", async () => {
    const { packages, stdout, code } = await loadedPackages(["completion", "bash"]);
    expect(code).toBe(0);
    expect(stdout).toContain("envforge");
    expect(packages.has("commander")).toBe(true);
    expect(["yaml", "zod", ...HEAVY].filter((name) => packages.has(name))).toEqual([]);
  });

  it("a config file that exists is parsed (yaml, zod) and its settings are used", async () => {
    const config = join(dir, "config.yaml");
    writeFileSync(config, "registry: 127.0.0.1:5999/from-config-file\n");
    const { packages, stdout, code } = await loadedPackages(["config", "show", "--json"], {
      ENVFORGE_CONFIG: config,
    });
    expect(code).toBe(0);
    expect(packages.has("yaml")).toBe(true);
    expect(packages.has("zod")).toBe(true);
    expect(stdout).toContain("127.0.0.1:5999/from-config-file");
  });
});
