/**
 * A VCS requirement from a repository served by `git daemon` on loopback, through the CLI on the
 * real Docker engine: `env create` pins `vcsdemo @ git+git://…@main` to main's commit, the lock
 * (`env show --json`, `envforge lock`) shows that sha and the wheel the project declares in its
 * pyproject.toml (wheel 0.38.4 from the loopback index), `env build` fetches the commit on the
 * host and the image's own pip builds it with setuptools (Debian's, offline), and `run` imports
 * it. A new commit on main changes nothing for the lock
 * already made: a build from it, into a fresh workspace and engine name, still installs the old
 * commit, while a new registration pins the new one.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { parseLockFile } from "../../src/conda/lock-file.js";
import { prepareSeedFlow } from "../../scripts/support/seed-flow-setup.js";
import type { SeedFlowSetup } from "../../scripts/support/seed-flow-setup.js";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { startGitDaemon } from "../support/git-daemon.js";
import type { GitDaemon } from "../support/git-daemon.js";
import { pipIndexProblem } from "../support/pip-index.js";
import { deleteManifest, PLAIN_REGISTRY, registryProblem } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const docker = dockerClient();
const gate = engineGate(
  "Docker engine, registry and Debian's wheels",
  (await dockerProblem(docker)) ?? (await registryProblem()) ?? (await pipIndexProblem()),
);

// A repository of its own per run: the first build is never a cache hit of an earlier run.
const REPOSITORY = `envforge-vcs-${randomBytes(4).toString("hex")}`;
const REGISTRY = `${PLAIN_REGISTRY}/${REPOSITORY}`;
const IMPORT =
  'import vcsdemo, sys; print(vcsdemo.__version__, vcsdemo.__file__.startswith("/tmp"))';

const Shown = z.looseObject({
  lock: z.looseObject({
    vcs: z.array(z.looseObject({ name: z.string(), commit: z.string(), requirement: z.string() })),
  }),
});
const Built = z.looseObject({
  state: z.string(),
  cacheHit: z.boolean(),
  image: z.object({ name: z.string(), digest: z.string().nullable(), id: z.string().nullable() }),
});

describe.skipIf(gate.skip)("a VCS requirement locked to a commit and built from it", () => {
  let setup: SeedFlowSetup;
  let repo: GitDaemon;
  const images: string[] = [];
  const pushed: { name: string; digest: string }[] = [];

  beforeAll(async () => {
    gate.require();
    // setuptools' bdist_wheel needs wheel: the project declares it, so the lock pins it and the
    // build backend comes from the locked environment.
    repo = await startGitDaemon("vcsdemo", { dependencies: ["wheel==0.38.4"] });
    setup = await prepareSeedFlow({ registry: REGISTRY });
    await writeFile(
      setup.definitionFile,
      [
        `image: ${setup.pythonImage}`,
        "conda_file: environment.yml",
        "pip:",
        `  - --index-url ${setup.index.url}`,
        `  - vcsdemo @ git+${repo.url}@main`,
        "",
      ].join("\n"),
    );
  }, 600_000);
  afterAll(async () => {
    for (const id of images) await removeImage(docker, id).catch(() => undefined);
    for (const image of pushed) {
      await deleteManifest({
        registry: PLAIN_REGISTRY,
        repository: image.name.slice(PLAIN_REGISTRY.length + 1),
        digest: image.digest,
      }).catch(() => undefined);
    }
    await setup?.close();
    await repo?.stop();
  });

  async function imageId(reference: string): Promise<string | undefined> {
    return docker
      .getImage(reference)
      .inspect()
      .then((image) => image.Id)
      .catch(() => undefined);
  }

  it("pins main to its sha, builds that commit, and keeps building it after main moves", async () => {
    const { env, workDir: cwd, definitionFile } = setup;
    const created = await cli(["env", "create", "-f", definitionFile, "-n", "vcs", "--json"], {
      env,
      cwd,
    });
    expect(created.code, created.stderr).toBe(0);
    const shown = await cli(["env", "show", "vcs", "--json"], { env, cwd });
    expect(shown.code, shown.stderr).toBe(0);
    expect(Shown.parse(JSON.parse(shown.stdout)).lock.vcs).toEqual([
      expect.objectContaining({
        name: "vcsdemo",
        commit: repo.main,
        requirement: `vcsdemo @ git+${repo.url}@main`,
      }),
    ]);

    // The lock file says the same, and --check sees the pin.
    const locked = await cli(["lock", definitionFile], { env, cwd });
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stdout).toContain(`\nvcs: vcsdemo at ${repo.main} (${repo.url})\n`);
    const lockFile = join(definitionFile, "..", "envforge.lock");
    const lockText = await readFile(lockFile, "utf8");
    expect(lockText).toContain(`commit: ${repo.main}`);
    // wheel is no requirement of the definition: the VCS project declares it.
    expect(parseLockFile(lockText).platforms[0]?.pip.map((p) => [p.name, p.version])).toEqual([
      ["wheel", "0.38.4"],
    ]);
    expect(parseLockFile(lockText).vcs).toEqual([
      {
        name: "vcsdemo",
        requirement: `vcsdemo @ git+${repo.url}@main`,
        vcs: "git",
        url: repo.url,
        commit: repo.main,
      },
    ]);
    const checked = await cli(["lock", definitionFile, "--check"], { env, cwd });
    expect(checked.code, checked.stderr).toBe(0);

    const build = await cli(["env", "build", "vcs", "--json"], { env, cwd });
    expect(build.code, build.stderr).toBe(0);
    const built = Built.parse(JSON.parse(build.stdout));
    if (built.image.digest !== null)
      pushed.push({ name: built.image.name, digest: built.image.digest });
    const id = await imageId(`${built.image.name}:latest`);
    if (id !== undefined) images.push(id);
    expect(built).toMatchObject({ state: "succeeded", cacheHit: false });
    expect(build.stderr).toContain(`vcs: fetched vcsdemo at ${repo.main}`);

    const job = await cli(["run", "vcs", "--", "python", "-c", IMPORT], { env, cwd });
    expect(job.code, job.stderr).toBe(0);
    // Installed into the image (not left in the build's mount of the source).
    expect(job.stdout).toBe("0.2.0 False\n");

    const moved = repo.commit("0.3.0");
    expect(moved).not.toBe(repo.main);

    // The lock made before main moved, built in a new workspace into the local engine (no
    // registry, so nothing is found and the image is built again): the old commit.
    const later: NodeJS.ProcessEnv = { ...env, ENVFORGE_HOME: join(cwd, "..", "home-later") };
    delete later["ENVFORGE_REGISTRY"];
    const again = await cli(
      ["env", "create", "-f", definitionFile, "-n", "vcs", "--lock", lockFile, "--json"],
      { env: later, cwd },
    );
    expect(again.code, again.stderr).toBe(0);
    const rebuild = await cli(["env", "build", "vcs", "--json"], { env: later, cwd });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    const rebuilt = Built.parse(JSON.parse(rebuild.stdout));
    if (rebuilt.image.id !== null) images.push(rebuilt.image.id);
    expect(rebuilt.cacheHit).toBe(false);
    expect(rebuild.stderr).toContain(`vcs: fetched vcsdemo at ${repo.main}`);
    const oldJob = await cli(["run", "vcs", "--", "python", "-c", IMPORT], { env: later, cwd });
    expect(oldJob.code, oldJob.stderr).toBe(0);
    expect(oldJob.stdout).toBe("0.2.0 False\n");

    // A registration now pins what main names now.
    const fresh = { ...later, ENVFORGE_HOME: join(cwd, "..", "home-fresh") };
    const renewed = await cli(["env", "create", "-f", definitionFile, "-n", "vcs", "--json"], {
      env: fresh,
      cwd,
    });
    expect(renewed.code, renewed.stderr).toBe(0);
    const renewedShown = await cli(["env", "show", "vcs", "--json"], { env: fresh, cwd });
    expect(Shown.parse(JSON.parse(renewedShown.stdout)).lock.vcs[0]?.commit).toBe(moved);
  }, 600_000);
});
