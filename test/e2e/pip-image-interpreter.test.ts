/**
 * pip requirements installed with the image's own interpreter (user-managed Python, no conda
 * env) on the python base image, against a loopback PEP 503 index of Debian's real wheels:
 *
 * - `env create` reads the interpreter in the pinned base (python 3.11, glibc, x86_64) once, and
 *   locks the range `wheel>=0.30` to wheel 0.38.4 by URL and sha256 for that target; the build
 *   installs exactly that wheel and a job imports it;
 * - with no engine at registration the version is stored unlocked, the pip problem naming the
 *   interpreter; the first build locks it for the interpreter and writes the lock once;
 * - an interpreter the image does not have is refused at registration, naming
 *   python.interpreter_path, and nothing is stored.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { parseLockFile } from "../../src/conda/lock-file.js";
import { docker, gate } from "../build/harness.js";
import { removeImage } from "../support/docker.js";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { pipIndexProblem, startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import { ensurePythonImage } from "../support/python-image.js";
import { freePort } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { buildWheel } from "../support/wheels.js";

const wheelsMissing = await pipIndexProblem();

const Shown = z.looseObject({
  lock: z
    .looseObject({
      baseImageDigest: z.string().optional(),
      platforms: z.array(
        z.looseObject({
          platform: z.string(),
          conda: z.array(z.unknown()),
          pip: z.array(
            z.looseObject({
              name: z.string(),
              version: z.string(),
              url: z.string(),
              sha256: z.string(),
            }),
          ),
        }),
      ),
    })
    .nullish(),
});
const Registered = z.looseObject({
  lock: z.looseObject({
    state: z.string(),
    problems: z.array(z.object({ part: z.string(), reason: z.string() })),
  }),
});

describe.skipIf(gate.skip || wheelsMissing !== undefined)(
  "pip for the image's own interpreter",
  () => {
    let dir: string;
    let index: PipIndex;
    let image: string;
    let env: NodeJS.ProcessEnv;
    const built = new Set<string>();

    beforeAll(async () => {
      gate.require();
      dir = await mkdtemp(join(tmpdir(), "envforge-pip-interpreter-"));
      // Only 1.0 fits the python image's CPython 3.11 on glibc 2.36: 2.0 is for CPython 3.12, and
      // 3.0 needs glibc 2.39. conda's default target (glibc 2.28) would take none of them.
      index = await startPipIndex({
        files: [
          buildWheel({
            name: "fits",
            version: "1.0",
            tag: "cp311-cp311-manylinux_2_36_x86_64",
            files: { "fits/__init__.py": "V = '1.0'\n" },
          }),
          buildWheel({
            name: "fits",
            version: "2.0",
            tag: "cp312-cp312-manylinux_2_17_x86_64",
            files: { "fits/__init__.py": "V = '2.0'\n" },
          }),
          buildWheel({
            name: "fits",
            version: "3.0",
            tag: "cp311-cp311-manylinux_2_39_x86_64",
            files: { "fits/__init__.py": "V = '3.0'\n" },
          }),
        ],
      });
      image = await ensurePythonImage();
      env = {
        ...LOOPBACK_DEFAULTS,
        ENVFORGE_HOME: join(dir, "home"),
        ENVFORGE_CONFIG: join(dir, "none.yaml"),
        ENVFORGE_REGISTRY: "",
        ENVFORGE_BUILDER: "docker",
        HOME: dir,
      };
    }, 600_000);
    afterAll(async () => {
      await index?.close();
      for (const id of built) await removeImage(docker, id);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    async function definition(name: string, interpreter = "/usr/bin/python3"): Promise<string> {
      const file = join(dir, `${name}.yaml`);
      await writeFile(
        file,
        [
          `image: ${image}`,
          "python:",
          "  user_managed_dependencies: true",
          `  interpreter_path: ${interpreter}`,
          `pip: ["--index-url ${index.url}", "wheel>=0.30", "fits>=1"]`,
          "",
        ].join("\n"),
      );
      return file;
    }

    async function shown(name: string): Promise<z.infer<typeof Shown>> {
      const show = await cli(["env", "show", name, "--json"], { env, cwd: dir });
      expect(show.code, show.stderr).toBe(0);
      return Shown.parse(JSON.parse(show.stdout));
    }

    async function build(name: string): Promise<string> {
      const result = await cli(["env", "build", name, "--json"], { env, cwd: dir });
      expect(result.code, `${result.stderr}${result.stdout}`).toBe(0);
      const parsed = z
        .looseObject({ imageHash: z.string(), image: z.looseObject({ id: z.string().nullable() }) })
        .parse(JSON.parse(result.stdout));
      if (parsed.image.id !== null) built.add(parsed.image.id);
      return parsed.imageHash;
    }

    async function expectWheel(name: string): Promise<void> {
      const lock = (await shown(name)).lock;
      const pip = lock?.platforms.find((p) => p.platform === "linux-64")?.pip ?? [];
      expect(pip.map((p) => `${p.name}==${p.version}`)).toEqual(["fits==1.0", "wheel==0.38.4"]);
      expect(lock?.platforms[0]?.conda).toEqual([]);
      expect(lock?.baseImageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      for (const wheel of pip) {
        const bytes = Buffer.from(await (await fetch(wheel.url)).arrayBuffer());
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(wheel.sha256);
      }
    }

    async function job(name: string): Promise<string> {
      const ran = await cli(
        [
          "run",
          name,
          "--",
          "python3",
          "-c",
          "import fits, wheel; print(wheel.__version__, fits.V)",
        ],
        { env, cwd: dir },
      );
      expect(ran.code, ran.stderr).toBe(0);
      return ran.stdout.trim();
    }

    it(
      "locks a range for the interpreter of the pinned base, builds it and the job imports it",
      { timeout: 600_000 },
      async () => {
        const created = await cli(
          ["env", "create", "-f", await definition("direct"), "-n", "direct", "--json"],
          {
            env,
            cwd: dir,
          },
        );
        expect(created.code, created.stderr).toBe(0);
        expect(Registered.parse(JSON.parse(created.stdout)).lock).toMatchObject({
          state: "locked",
          problems: [],
        });
        await expectWheel("direct");
        // Read once, and kept by the base's digest.
        expect(await readdir(join(dir, "home", "cache", "interpreters"))).toHaveLength(1);

        const dockerfile = await cli(["env", "show", "direct", "--dockerfile"], { env, cwd: dir });
        expect(dockerfile.stdout).toMatch(/^FROM \S+@sha256:[0-9a-f]{64}$/m);
        expect(dockerfile.stdout).toMatch(/\/usr\/bin\/python3 -m pip install .*--no-deps/);
        await build("direct");
        expect(await job("direct")).toBe("0.38.4 1.0");
      },
    );

    it("envforge lock resolves for the same interpreter", { timeout: 300_000 }, async () => {
      const file = await definition("locked");
      const locked = await cli(["lock", file], { env, cwd: dir });
      expect(locked.code, locked.stderr).toBe(0);
      expect(locked.stderr).not.toMatch(/not locked/);
      const lock = parseLockFile(await readFile(join(dir, "envforge.lock"), "utf8"));
      expect(lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
        "fits==1.0",
        "wheel==0.38.4",
      ]);
    });

    it(
      "with no engine at registration, locks at the first build, once",
      { timeout: 600_000 },
      async () => {
        // A home of its own: the first test's home keeps the interpreter's answer for this base.
        env = { ...env, ENVFORGE_HOME: join(dir, "home-later") };
        const closed = `tcp://127.0.0.1:${await freePort()}`;
        const created = await cli(
          ["env", "create", "-f", await definition("later"), "-n", "later", "--json"],
          { env: { ...env, DOCKER_HOST: closed }, cwd: dir },
        );
        expect(created.code, created.stderr).toBe(0);
        const registered = Registered.parse(JSON.parse(created.stdout)).lock;
        expect(registered.state).toBe("unlocked");
        const problem = registered.problems.find((p) => p.part === "pip");
        expect(problem?.reason).toContain("/usr/bin/python3");
        expect((await shown("later")).lock ?? undefined).toBeUndefined();

        const first = await build("later");
        await expectWheel("later");
        const locked = (await shown("later")).lock;
        const second = await build("later");
        expect(second).toBe(first);
        expect((await shown("later")).lock).toEqual(locked);
        expect(await job("later")).toBe("0.38.4 1.0");
      },
    );

    it(
      "refuses an interpreter the image does not have, and stores nothing",
      { timeout: 300_000 },
      async () => {
        const created = await cli(
          [
            "env",
            "create",
            "-f",
            await definition("missing", "/usr/bin/nopython3"),
            "-n",
            "missing",
          ],
          { env, cwd: dir },
        );
        expect(created.code).toBe(2);
        expect(created.stderr).toMatch(/python\.interpreter_path/);
        expect(created.stderr).toContain("/usr/bin/nopython3");
        const show = await cli(["env", "show", "missing"], { env, cwd: dir });
        expect(show.code).toBe(3);
      },
    );
  },
);
