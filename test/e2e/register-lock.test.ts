/**
 * The lock at registration, through the CLI on a SQLite workspace and a loopback channel: a
 * reachable channel gives the version its lock; an unreachable one registers without it and
 * says per part (conda, pip) what the build will need, and registering again once the channel
 * and index answer gives that same version its lock; `--require-lock` (and the API's
 * `requireLock`) refuses instead and writes nothing; an unsolvable spec exits 2 and writes
 * nothing; `--lock` takes a lock of `envforge lock` and refuses one of another definition.
 * Channel names and pip's default index go to a closed loopback port unless a test maps them.
 */
import Database from "better-sqlite3";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { field, request, startApiHarness, versionsUrl } from "../api/harness.js";
import { CLOSED_LOOPBACK } from "../support/loopback-defaults.js";
import { pipIndexProblem, startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import { freePort } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";

const Registered = z.looseObject({
  created: z.boolean(),
  lock: z.object({
    state: z.enum(["locked", "unlocked", "not-needed"]),
    filled: z.boolean(),
    problems: z.array(z.object({ part: z.string(), reason: z.string() })),
  }),
  warnings: z.array(z.looseObject({ key: z.string(), message: z.string() })),
  version: z.looseObject({
    version: z.number(),
    lock: z
      .looseObject({
        platforms: z.array(z.looseObject({ conda: z.array(z.looseObject({ name: z.string() })) })),
      })
      .optional(),
  }),
});

describe("envforge env create resolves the lock at registration", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let channel: SeedChannel;
  let index: PipIndex;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-register-lock-"));
    env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
    const missing = await pipIndexProblem();
    if (missing !== undefined) throw new Error(missing);
    index = await startPipIndex();
  });
  afterAll(async () => {
    await channel?.close();
    await index?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function condaFile(name: string, url: string, packages: readonly string[]) {
    const file = join(dir, `${name}.yml`);
    const lines = ["channels:", `  - ${url}`, "dependencies:", "  - python=3.11"];
    await writeFile(file, [...lines, ...packages.map((p) => `  - ${p}`), ""].join("\n"));
    return file;
  }

  async function create(args: readonly string[], runEnv: NodeJS.ProcessEnv = env) {
    const run = await cli(["env", "create", ...args, "--json"], { env: runEnv, cwd: dir });
    return {
      ...run,
      result: run.code === 0 ? Registered.parse(JSON.parse(run.stdout)) : undefined,
    };
  }

  const lockedNames = (result: z.infer<typeof Registered> | undefined) =>
    result?.version.lock?.platforms.flatMap((p) => p.conda.map((c) => c.name));

  it("locks from a reachable channel; the same definition again is the same version", async () => {
    const file = await condaFile("hello", channel.url, ["envforge-hello"]);
    const first = await create(["-f", file, "-n", "hello"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.result).toMatchObject({
      created: true,
      warnings: [],
      lock: { state: "locked", filled: false, problems: [] },
      version: { version: 1 },
    });
    expect(lockedNames(first.result)).toEqual(["envforge-hello", "python"]);
    const second = await create(["-f", file, "-n", "hello"]);
    expect(second.result).toMatchObject({ created: false, warnings: [], version: { version: 1 } });
    const text = await cli(["env", "create", "-f", file, "-n", "hello"], { env, cwd: dir });
    expect(text.stdout).toContain("unchanged: hello version 1 already has this definition");
  });

  it("registers without a lock when the channel cannot be reached, saying what the build needs", async () => {
    const port = await freePort();
    const file = await condaFile("later", `http://127.0.0.1:${port}`, ["zlib"]);
    const offline = await cli(["env", "create", "-f", file, "-n", "later"], { env, cwd: dir });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain("registered later version 1");
    expect(offline.stderr).toContain(
      `warning: lock.conda: registered without a lock: channel "http://127.0.0.1:${port}" could not be reached`,
    );
    expect(offline.stderr).toContain(
      "`envforge env build` will need one: make the channels reachable (ENVFORGE_CHANNEL_URLS name=url, ENVFORGE_CHANNEL_ALIAS, ENVFORGE_DEFAULT_CHANNELS, or a URL in the definition) and run `envforge env create` again, or run `envforge lock FILE` where they are reachable and `envforge env create --lock envforge.lock`",
    );
    const shown = await cli(["env", "show", "later"], { env, cwd: dir });
    expect(shown.stdout).toContain("locked:      no");
  });

  /** conda from the channel named `seed`, pip's wheel from the default index: two parts. */
  const MIXED = [
    "channels:",
    "  - seed",
    "dependencies:",
    "  - python=3.11",
    "  - pip",
    "  - envforge-hello",
    "  - pip:",
    "    - wheel==0.38.4",
    "",
  ].join("\n");
  async function mixedFile(name: string) {
    const file = join(dir, `${name}.yml`);
    await writeFile(file, MIXED);
    return file;
  }
  /** The channel name and pip's default index mapped to the loopback servers. */
  const reachable = () => ({
    ...env,
    ENVFORGE_CHANNEL_URLS: `seed=${channel.url}`,
    ENVFORGE_PIP_INDEX_URL: index.url,
  });
  /** Environments and versions in the CLI's SQLite workspace. */
  function rowCounts(): { environments: number; versions: number } {
    const db = new Database(join(dir, "home", "envforge.db"), { readonly: true });
    try {
      const count = (table: string) =>
        z.object({ n: z.number() }).parse(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).n;
      return { environments: count("environments"), versions: count("environment_versions") };
    } finally {
      db.close();
    }
  }

  it("says per part why it could not lock, and locks that version once channel and index answer", async () => {
    const file = await mixedFile("mapped");
    const down = await create(["-f", file, "-n", "mapped"]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.result).toMatchObject({
      created: true,
      lock: { state: "unlocked", filled: false },
      version: { version: 1 },
    });
    expect(down.result?.version.lock).toBeUndefined();
    const [conda, pip, ...others] = down.result?.lock.problems ?? [];
    expect(others).toEqual([]);
    expect(conda?.part).toBe("conda");
    expect(conda?.reason).toContain(
      `channel "seed" could not be reached at ${CLOSED_LOOPBACK}/conda/seed/`,
    );
    expect(pip?.part).toBe("pip");
    expect(pip?.reason).toContain(
      `pip index ${CLOSED_LOOPBACK}/simple/wheel/ could not be reached`,
    );
    // Each warning gives the advice of its own part.
    const [condaWarning, pipWarning] = down.result?.warnings ?? [];
    expect(condaWarning?.key).toBe("lock.conda");
    expect(condaWarning?.message).toContain("make the channels reachable");
    expect(pipWarning?.key).toBe("lock.pip");
    expect(pipWarning?.message).toContain(
      "make the pip index reachable (the definition's --index-url, else ENVFORGE_PIP_INDEX_URL) and give the host python3 with pip (Debian: python3-pip), which resolves for the target",
    );
    expect(pipWarning?.message).not.toContain("channels");

    // The same definition again, now reachable: the same version, given its lock, and said so.
    const up = await cli(["env", "create", "-f", file, "-n", "mapped"], {
      env: reachable(),
      cwd: dir,
    });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toBe("");
    expect(up.stdout).toContain(
      "locked: mapped version 1 had this definition without a lock and now has its lock",
    );
    const again = await create(["-f", file, "-n", "mapped"], reachable());
    expect(again.result).toMatchObject({
      created: false,
      warnings: [],
      lock: { state: "locked", filled: false, problems: [] },
      version: { version: 1 },
    });
    expect(lockedNames(again.result)).toEqual(["envforge-hello", "pip", "python"]);
    const shown = await cli(["env", "show", "mapped", "--json"], { env, cwd: dir });
    expect(shown.stdout).toContain(`${index.url.replace("/simple", "")}/`);
    expect(shown.stdout).toContain("wheel-0.38.4-py3-none-any.whl");
  });

  it("--require-lock refuses what it cannot lock, per part, writing nothing; locks when it can", async () => {
    const file = await mixedFile("strict");
    const before = rowCounts();
    const run = await cli(["env", "create", "-f", file, "-n", "strict", "--require-lock"], {
      env,
      cwd: dir,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'lock.conda: a lock is required and the conda part cannot be locked: channel "seed" could not be reached',
    );
    expect(run.stderr).toContain(
      `lock.pip: a lock is required and the pip part cannot be locked: pip index ${CLOSED_LOOPBACK}/simple/wheel/ could not be reached`,
    );
    expect(rowCounts()).toEqual(before);
    expect((await cli(["env", "show", "strict"], { env, cwd: dir })).code).toBe(3);

    const locked = await create(["-f", file, "-n", "strict", "--require-lock"], reachable());
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.result).toMatchObject({ created: true, lock: { state: "locked" } });
    expect(rowCounts()).toEqual({
      environments: before.environments + 1,
      versions: before.versions + 1,
    });
  });

  it("the API answers the lock per part, and refuses requireLock with 422, writing nothing", async () => {
    const api = await startApiHarness({ kind: "sqlite", adminUrl: undefined });
    try {
      const upload = { entry: "environment.yml", files: { "environment.yml": MIXED } };
      const url = versionsUrl(api.url, "default", "served");
      const environments = async () =>
        (await api.service.listEnvironments({ workspace: "default" })).items.length;
      const refused = await request(url, { body: { ...upload, requireLock: true } });
      expect(refused.status).toBe(422);
      const problems = z
        .array(z.looseObject({ key: z.string(), message: z.string() }))
        .parse(field(refused.body, "problems"));
      expect(problems.map((problem) => problem.key)).toEqual(["lock.conda", "lock.pip"]);
      expect(problems[1]?.message).toContain(
        `the pip part cannot be locked: pip index ${CLOSED_LOOPBACK}/simple/wheel/ could not be reached`,
      );
      expect(await environments()).toBe(0);

      const unlocked = await request(url, { body: upload });
      expect(unlocked.status).toBe(201);
      expect(field(unlocked.body, "lock", "state")).toBe("unlocked");
      expect(field(unlocked.body, "lock", "problems", 0, "part")).toBe("conda");
      expect(field(unlocked.body, "lock", "problems", 1, "part")).toBe("pip");
      expect(field(unlocked.body, "warnings", 1, "key")).toBe("lock.pip");
      expect(await environments()).toBe(1);
      // Once stored, requireLock still refuses: the version has no lock to give.
      const still = await request(url, { body: { ...upload, requireLock: true } });
      expect(still.status).toBe(422);
    } finally {
      await api.close();
    }
  });

  it("keeps the lock when only the base image cannot be pinned, and says so for that part", async () => {
    const file = await condaFile("unpinned", channel.url, ["envforge-hello"]);
    // A base image on a registry that does not answer (a closed loopback port).
    const run = await create(["-f", file, "-n", "unpinned", "--require-lock"], {
      ...env,
      ENVFORGE_BASE_IMAGE: "127.0.0.1:9/envforge/none:1",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.result?.lock.state).toBe("locked");
    expect(run.result?.lock.problems.map((problem) => problem.part)).toEqual(["base-image"]);
    expect(run.result?.lock.problems[0]?.reason).toContain(
      "base image 127.0.0.1:9/envforge/none:1",
    );
    expect(run.result?.warnings.map((warning) => warning.key)).toEqual(["lock.base-image"]);
    expect(run.result?.warnings[0]?.message).toContain("not pinned:");
    expect(lockedNames(run.result)).toEqual(["envforge-hello", "python"]);
  });

  it("refuses an unsolvable spec with exit 2 and writes nothing", async () => {
    const file = await condaFile("broken", channel.url, ["zlib=9.9"]);
    const run = await cli(["env", "create", "-f", file, "-n", "broken"], { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("dependencies: cannot be solved for linux-64");
    const shown = await cli(["env", "show", "broken"], { env, cwd: dir });
    expect(shown.code).toBe(3);
  });

  it("stores the lock of `envforge lock` with --lock, and refuses one of another definition", async () => {
    const file = await condaFile("given", channel.url, ["zlib"]);
    const lockFile = join(dir, "given.lock");
    const lock = await cli(["lock", file, "-o", lockFile], { env, cwd: dir });
    expect(lock.code, lock.stderr).toBe(0);
    const given = await create(["-f", file, "-n", "given", "--lock", lockFile]);
    expect(given.code, given.stderr).toBe(0);
    expect(lockedNames(given.result)).toEqual(["python", "zlib"]);

    const other = await condaFile("other", channel.url, ["envforge-hello"]);
    const refused = await cli(["env", "create", "-f", other, "-n", "other", "--lock", lockFile], {
      env,
      cwd: dir,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("lock: the lock was resolved from another definition");
    expect((await cli(["env", "show", "other"], { env, cwd: dir })).code).toBe(3);
  });

  it("locks on the server too, and refuses a --lock it cannot send", async () => {
    const api = await startApiHarness({ kind: "sqlite", adminUrl: undefined });
    try {
      const file = await condaFile("remote", channel.url, ["envforge-hello"]);
      const remote = { HOME: dir, ENVFORGE_HOME: join(dir, "unused") };
      const run = await cli(
        ["env", "create", "-f", file, "-n", "remote", "--json", "--server", api.url],
        {
          env: remote,
          cwd: dir,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      const registered = Registered.parse(JSON.parse(run.stdout));
      expect(registered).toMatchObject({ created: true, warnings: [] });
      expect(lockedNames(registered)).toEqual(["envforge-hello", "python"]);

      const lockFile = join(dir, "remote.lock");
      expect((await cli(["lock", file, "-o", lockFile], { env, cwd: dir })).code).toBe(0);
      const refused = await cli(
        ["env", "create", "-f", file, "-n", "remote", "--lock", lockFile, "--server", api.url],
        { env: remote, cwd: dir },
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        "--lock: a lock cannot be sent to a server yet; the server resolves the lock from its own channels",
      );
    } finally {
      await api.close();
    }
  });
});
