/**
 * `envforge gc` on the real engine: an envforge image no version points to goes, images of
 * versions (archived ones too) stay; old package-cache entries go unless locked; build contexts
 * older than their limit go. Only images under this test's own registry path are considered.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  dockerClient,
  dockerProblem,
  engineGate,
  followProgress,
  removeImage,
  tarBytes,
} from "../support/docker.js";
import { BASE_IMAGE, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine and registry",
  (await dockerProblem(docker)) ?? (await registryProblem()),
);

const Plan = z.object({
  contexts: z.array(z.object({ path: z.string() })),
  cache: z.array(z.object({ key: z.string() })),
  layers: z.array(z.object({ key: z.string() })),
  answers: z.array(z.object({ key: z.string() })),
  images: z.array(z.object({ id: z.string(), imageHash: z.string() })),
});
const Built = z.looseObject({ image: z.object({ name: z.string() }) });

describe.skipIf(gate.skip)("envforge gc", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const registry = `${PLAIN_REGISTRY}/envforge-test/gc-${randomBytes(4).toString("hex")}`;
  const made: string[] = [];

  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-gc-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: registry,
      HOME: dir,
    };
  });
  afterAll(async () => {
    for (const image of made) await removeImage(docker, image);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function buildVersion(name: string): Promise<string> {
    const file = join(dir, `${name}.Dockerfile`);
    writeFileSync(
      file,
      `FROM ${BASE_IMAGE}\nRUN echo ${name}-${randomBytes(4).toString("hex")} > /x\n`,
    );
    expect((await cli(["env", "create", "-f", file, "-n", name], { env })).code).toBe(0);
    const built = await cli(["env", "build", name, "--json"], { env });
    expect(built.code, built.stderr).toBe(0);
    const image = `${Built.parse(JSON.parse(built.stdout)).image.name}:latest`;
    made.push(image);
    return image;
  }

  async function exists(image: string): Promise<boolean> {
    return docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  }

  it("removes what nothing needs and keeps every image a version points to", async () => {
    const kept = await buildVersion("kept");
    const archived = await buildVersion("archived");
    expect((await cli(["env", "archive", "archived"], { env })).code).toBe(0);

    const orphanHash = `envforge_${randomBytes(16).toString("hex")}`;
    const orphan = `${registry}/${orphanHash}:latest`;
    const context = await tarBytes({
      Dockerfile: `FROM ${BASE_IMAGE}\nLABEL dev.envforge.image-hash=${orphanHash}\n`,
    });
    await followProgress(
      docker,
      await docker.buildImage(Readable.from([context]), { t: orphan, networkmode: "host" }),
    );
    made.push(orphan);

    const pkgs = join(dir, "home", "cache", "pkgs");
    const old = Date.now() / 1000 - 90 * 86_400;
    for (const sub of ["archives", "extracted/aaa", "locks/ccc.lock"])
      mkdirSync(join(pkgs, sub), { recursive: true });
    for (const key of ["aaa", "bbb", "ccc"])
      writeFileSync(join(pkgs, "archives", `${key}.conda`), key);
    writeFileSync(join(pkgs, "extracted", "aaa", "file"), "x");
    for (const path of [
      "archives/aaa.conda",
      "extracted/aaa/file",
      "extracted/aaa",
      "archives/ccc.conda",
    ]) {
      utimesSync(join(pkgs, path), old, old);
    }
    // The native builder's layer cache: an old blob goes, a fresh one stays.
    const layers = join(dir, "home", "cache", "layers", "blobs");
    mkdirSync(layers, { recursive: true });
    writeFileSync(join(layers, "a".repeat(64)), "old layer");
    writeFileSync(join(layers, "b".repeat(64)), "fresh layer");
    utimesSync(join(layers, "a".repeat(64)), old, old);
    // Remembered answers: an old SBOM lookup and interpreter go, fresh ones stay.
    const cacheRoot = join(dir, "home", "cache");
    for (const folder of ["sboms", "interpreters"]) {
      mkdirSync(join(cacheRoot, folder), { recursive: true });
      writeFileSync(join(cacheRoot, folder, "old.json"), "{}");
      writeFileSync(join(cacheRoot, folder, "fresh.json"), "{}");
      utimesSync(join(cacheRoot, folder, "old.json"), old, old);
    }
    const contexts = join(dir, "home", "build-contexts");
    mkdirSync(join(contexts, "envforge-build-dead"), { recursive: true });
    mkdirSync(join(contexts, "envforge-build-live"), { recursive: true });
    utimesSync(join(contexts, "envforge-build-dead"), old, old);

    const dry = await cli(["gc", "--dry-run", "--json"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    const plan = Plan.parse(JSON.parse(dry.stdout));
    expect(plan.images).toEqual([]); // the orphan is younger than 30 days
    expect(plan.cache.map((e) => e.key)).toEqual(["aaa"]); // ccc is locked, bbb is fresh
    expect(plan.contexts.map((c) => c.path)).toEqual([join(contexts, "envforge-build-dead")]);
    expect(plan.layers.map((e) => e.key)).toEqual(["a".repeat(64)]);
    expect(plan.answers.map((e) => e.key)).toEqual(["sboms/old.json", "interpreters/old.json"]);
    expect(existsSync(join(cacheRoot, "sboms", "old.json"))).toBe(true);
    expect(existsSync(join(contexts, "envforge-build-dead"))).toBe(true);
    expect(existsSync(join(layers, "a".repeat(64)))).toBe(true);

    const result = await cli(["gc", "--max-age", "0", "--max-cache-size", "1G"], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("removed 1 image(s) no version points to");
    expect(result.stdout).toContain(orphanHash);
    expect(await exists(orphan)).toBe(false);
    expect(await exists(kept)).toBe(true);
    expect(await exists(archived)).toBe(true);
    expect(existsSync(join(pkgs, "archives", "ccc.conda"))).toBe(true);
    expect(existsSync(join(pkgs, "archives", "aaa.conda"))).toBe(false);
    expect(existsSync(join(pkgs, "extracted", "aaa"))).toBe(false);
    expect(existsSync(join(contexts, "envforge-build-dead"))).toBe(false);
    expect(existsSync(join(contexts, "envforge-build-live"))).toBe(true);
    expect(existsSync(join(layers, "a".repeat(64)))).toBe(false);
    // --max-age 0 makes the fresh one old too.
    expect(existsSync(join(layers, "b".repeat(64)))).toBe(false);
    expect(result.stdout).toContain("removed 2 layer cache blob(s)");
    // --max-age 0: every remembered answer is old; each is asked again when needed.
    expect(result.stdout).toContain("removed 4 remembered answer(s) (SBOM lookups, interpreters)");
    for (const folder of ["sboms", "interpreters"]) {
      expect(readdirSync(join(cacheRoot, folder))).toEqual([]);
    }
  });

  it("refuses a size it cannot read", async () => {
    const result = await cli(["gc", "--max-cache-size", "lots"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--max-cache-size: not a size (found "lots"; allowed: bytes or a number with K, M, G or T, e.g. 20G)',
    );
  });
});
