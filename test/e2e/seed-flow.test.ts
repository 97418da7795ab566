/**
 * The user's path on the real Docker engine and registry, through the CLI only: a conda env from
 * a loopback channel (the real zlib, `envforge-hello` with its bin/ script, python and pip shims
 * over the image's interpreter) plus pip's wheel 0.38.4 from a loopback index of Debian's real
 * wheels, on the python base image. `env create` resolves the lock at registration, `env build`
 * pushes `127.0.0.1:5000/envforge/envforge_<the recipe's image hash>` (a second build is a cache
 * hit), and `envforge run` prints what the env's commands print and exits with their code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { makeRecipe } from "../../src/recipe/index.js";
import { definitionHash } from "../../src/definition/definition-hash.js";
import type { Definition } from "../../src/definition/definition.js";
import type { Lock } from "../../src/definition/lock.js";
import { prepareSeedFlow } from "../../scripts/support/seed-flow-setup.js";
import type { SeedFlowSetup } from "../../scripts/support/seed-flow-setup.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { pipIndexProblem } from "../support/pip-index.js";
import { deleteManifest, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine, registry and Debian's wheels",
  (await dockerProblem(docker)) ?? (await registryProblem()) ?? (await pipIndexProblem()),
);

const REGISTRY = `${PLAIN_REGISTRY}/envforge`;
const JOB = 'envforge-hello && python3 -c "import wheel; print(wheel.__version__)"';

const Registered = z.looseObject({
  created: z.boolean(),
  warnings: z.array(z.unknown()),
  version: z.looseObject({ version: z.number(), definitionHash: z.string() }),
});
const Built = z.looseObject({
  state: z.string(),
  cacheHit: z.boolean(),
  image: z.object({ name: z.string(), digest: z.string() }),
});

describe.skipIf(gate.skip)("the seed flow: env create → env build → run", () => {
  let setup: SeedFlowSetup;
  let built: z.infer<typeof Built> | undefined;

  beforeAll(async () => {
    gate.require();
    setup = await prepareSeedFlow({ registry: REGISTRY });
  }, 600_000);
  afterAll(async () => {
    if (built !== undefined) {
      const reference = `${built.image.name}:latest`;
      const id = await docker
        .getImage(reference)
        .inspect()
        .then((image) => image.Id)
        .catch(() => undefined);
      if (id !== undefined) await removeImage(docker, id);
      await deleteManifest({
        registry: PLAIN_REGISTRY,
        repository: built.image.name.slice(PLAIN_REGISTRY.length + 1),
        digest: built.image.digest,
      });
    }
    await setup?.close();
  });

  it("registers with a lock, builds and pushes once, runs jobs with their exit codes", async () => {
    const { env, workDir: cwd } = setup;
    const create = ["env", "create", "-f", setup.definitionFile, "-n", "seed", "--json"];
    const first = await cli(create, { env, cwd });
    expect(first.code, first.stderr).toBe(0);
    const registered = Registered.parse(JSON.parse(first.stdout));
    expect(registered).toMatchObject({ created: true, warnings: [], version: { version: 1 } });

    const shown = await cli(["env", "show", "seed", "--json"], { env, cwd });
    const version = z
      .looseObject({ definition: z.custom<Definition>(), lock: z.custom<Lock>() })
      .parse(JSON.parse(shown.stdout));
    const [platform] = version.lock.platforms;
    // Exactly the channel's files, by sha256, in name order.
    const fromChannel = ["envforge-hello", "pip", "python", "zlib"].map((name) => {
      const pkg = setup.channel.packages.get(name);
      return `${name}=${pkg?.version ?? "?"} ${pkg?.sha256 ?? "?"}`;
    });
    expect(platform?.conda.map((p) => `${p.name}=${p.version} ${p.sha256}`)).toEqual(fromChannel);
    expect(platform?.pip.map((p) => `${p.name}==${p.version}`)).toEqual(["wheel==0.38.4"]);
    expect(version.lock.definitionHash).toBe(registered.version.definitionHash);

    // The same definition again: the same version, and no second solve is needed for it.
    const again = Registered.parse(JSON.parse((await cli(create, { env, cwd })).stdout));
    expect(again).toMatchObject({ created: false, version: { version: 1 } });

    const build = await cli(["env", "build", "seed", "--json"], { env, cwd });
    expect(build.code, build.stderr).toBe(0);
    built = Built.parse(JSON.parse(build.stdout));
    const recipe = makeRecipe(version.definition, {
      definitionHash: definitionHash(version.definition),
      lock: version.lock,
    });
    expect(built).toMatchObject({
      state: "succeeded",
      cacheHit: false,
      image: { name: `${REGISTRY}/${recipe.imageHash}` },
    });
    // envforge installs the locked wheel itself, in a layer of its own; pip does not run.
    expect(build.stderr).toMatch(/envforge: pip: installed 1 wheels into 1 layers/);
    expect(build.stderr).not.toContain("pip install");

    const rebuild = await cli(["env", "build", "seed", "--json"], { env, cwd });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({
      state: "succeeded",
      cacheHit: true,
      image: built.image,
    });
    expect(rebuild.stderr).not.toMatch(/^\[\d+\/\d+\]/m); // no engine build step ran

    const job = await cli(["run", "seed", "--", "sh", "-c", JOB], { env, cwd });
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toBe("hello from /opt/envforge/env\n0.38.4\n");
    expect(job.stderr).not.toContain("queued build");

    const failing = await cli(["run", "seed", "--", "sh", "-c", "echo leaving; exit 3"], {
      env,
      cwd,
    });
    expect(failing.stdout).toBe("leaving\n");
    expect(failing.code).toBe(3);
    expect(failing.stderr).toMatch(/job \S+ failed \(exit code 3\)/);
  }, 300_000);
});
