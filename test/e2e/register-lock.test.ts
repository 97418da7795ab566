/**
 * The lock at registration, through the CLI on a SQLite workspace and a loopback channel: a
 * reachable channel gives the version its lock; an unreachable one registers without it and
 * says what the build will need, and registering again once the channel answers gives that same
 * version its lock; an unsolvable spec exits 2 and writes nothing; `--lock` takes a lock of
 * `envforge lock` and refuses one of another definition.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startApiHarness } from "../api/harness.js";
import { freePort } from "../support/registry.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";

const Registered = z.looseObject({
  created: z.boolean(),
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

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-register-lock-"));
    env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  });
  afterAll(async () => {
    await channel?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function condaFile(name: string, url: string, packages: readonly string[]) {
    const file = join(dir, `${name}.yml`);
    const lines = ["channels:", `  - ${url}`, "dependencies:", "  - python=3.11"];
    await writeFile(file, [...lines, ...packages.map((p) => `  - ${p}`), ""].join("\n"));
    return file;
  }

  async function create(args: readonly string[]) {
    const run = await cli(["env", "create", ...args, "--json"], { env, cwd: dir });
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
    expect(first.result).toMatchObject({ created: true, warnings: [], version: { version: 1 } });
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
      `warning: lock: registered without a lock: channel "http://127.0.0.1:${port}" could not be reached`,
    );
    expect(offline.stderr).toContain(
      "`envforge env build` will need one: make the channels reachable (ENVFORGE_CHANNEL_URLS) and run `envforge env create` again, or run `envforge lock FILE` where they are and `envforge env create --lock envforge.lock`",
    );
    const shown = await cli(["env", "show", "later"], { env, cwd: dir });
    expect(shown.stdout).toContain("locked:      no");
  });

  it("gives a version stored without a lock its lock when the channel answers again", async () => {
    const file = await condaFile("mapped", "seed", ["envforge-hello"]);
    const unmapped = await create(["-f", file, "-n", "mapped"]);
    expect(unmapped.code, unmapped.stderr).toBe(0);
    expect(unmapped.result?.warnings[0]?.message).toContain(
      'registered without a lock: channel "seed" has no configured URL',
    );
    expect(unmapped.result?.version.lock).toBeUndefined();
    const run = await cli(["env", "create", "-f", file, "-n", "mapped", "--json"], {
      env: { ...env, ENVFORGE_CHANNEL_URLS: `seed=${channel.url}` },
      cwd: dir,
    });
    const locked = Registered.parse(JSON.parse(run.stdout));
    expect(locked).toMatchObject({ created: false, warnings: [], version: { version: 1 } });
    expect(lockedNames(locked)).toEqual(["envforge-hello", "python"]);
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
