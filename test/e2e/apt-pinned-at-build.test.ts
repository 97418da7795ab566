/**
 * apt packages registration could not resolve (no Docker engine then) are resolved at the first
 * build, in the pinned base, and written into the version's lock once: the version is stored
 * with its base pinned and an `apt` problem, the recipe names the bare package; `env build` with
 * the engine back resolves `hello` and what it pulls in, the Dockerfile installs `hello=<version>`,
 * and a second build is the same image with the lock unchanged.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { docker, gate } from "../build/harness.js";
import { removeImage } from "../support/docker.js";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { BASE_IMAGE, freePort } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const Lock = z
  .looseObject({
    baseImageDigest: z.string().optional(),
    platforms: z.array(
      z.looseObject({
        apt: z.array(z.object({ name: z.string(), version: z.string() })).optional(),
      }),
    ),
  })
  .nullish();

describe.skipIf(gate.skip)("apt left unpinned at registration is pinned at the first build", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const built = new Set<string>();

  beforeAll(async () => {
    gate.require();
    dir = await mkdtemp(join(tmpdir(), "envforge-apt-at-build-"));
    env = {
      ...LOOPBACK_DEFAULTS,
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      ENVFORGE_REGISTRY: "",
      ENVFORGE_BUILDER: "docker",
      HOME: dir,
    };
  });
  afterAll(async () => {
    for (const id of built) await removeImage(docker, id);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function lockOf(): Promise<z.infer<typeof Lock>> {
    const shown = await cli(["env", "show", "hello-apt", "--json"], { env, cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    return Lock.parse((JSON.parse(shown.stdout) as { lock?: unknown }).lock);
  }

  async function dockerfile(): Promise<string> {
    const shown = await cli(["env", "show", "hello-apt", "--dockerfile"], { env, cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    return shown.stdout;
  }

  async function build(): Promise<string> {
    const result = await cli(["env", "build", "hello-apt", "--json"], { env, cwd: dir });
    expect(result.code, `${result.stderr}${result.stdout}`).toBe(0);
    const parsed = z
      .looseObject({ imageHash: z.string(), image: z.looseObject({ id: z.string().nullable() }) })
      .parse(JSON.parse(result.stdout));
    if (parsed.image.id !== null) built.add(parsed.image.id);
    return parsed.imageHash;
  }

  it(
    "stores the version unpinned with the reason, then pins apt once",
    { timeout: 600_000 },
    async () => {
      const file = join(dir, "envforge.yaml");
      await writeFile(file, `image: ${BASE_IMAGE}\napt:\n  - hello\n`);
      const closed = `tcp://127.0.0.1:${await freePort()}`;
      const created = await cli(["env", "create", "-f", file, "-n", "hello-apt", "--json"], {
        env: { ...env, DOCKER_HOST: closed },
        cwd: dir,
      });
      expect(created.code, created.stderr).toBe(0);
      const registered = z
        .looseObject({
          lock: z.looseObject({
            problems: z.array(z.object({ part: z.string(), reason: z.string() })),
          }),
        })
        .parse(JSON.parse(created.stdout));
      expect(registered.lock.problems.map((p) => p.part)).toEqual(["apt"]);
      const before = await lockOf();
      expect(before?.baseImageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(before?.platforms[0]?.apt).toBeUndefined();
      expect(await dockerfile()).toMatch(/apt-get install -y --no-install-recommends hello\b(?!=)/);

      const first = await build();
      const after = await lockOf();
      const hello = after?.platforms[0]?.apt?.find((p) => p.name === "hello");
      expect(hello?.version).toMatch(/^2\.10-\d/);
      expect(after?.baseImageDigest).toBe(before?.baseImageDigest);
      expect(await dockerfile()).toContain(`hello=${hello?.version ?? ""}`);

      const second = await build();
      expect(second).toBe(first);
      expect(await lockOf()).toEqual(after);
    },
  );
});
