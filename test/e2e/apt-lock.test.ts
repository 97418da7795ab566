/**
 * `envforge lock` pins apt packages in the base image itself (a throwaway container of
 * 127.0.0.1:5000/envforge/debian:bookworm with host networking, as builds reach Debian's
 * packages), and the recipe then installs exactly `name=version`. A package the sources do not
 * have is refused and no lock is written.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLockFile } from "../../src/conda/lock-file.js";
import { gate } from "../build/harness.js";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";

let work: string;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  work = await mkdtemp(join(tmpdir(), "envforge-apt-lock-"));
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

function envforge(args: string[]) {
  return cli(args, {
    cwd: work,
    env: { ...LOOPBACK_DEFAULTS, ENVFORGE_HOME: join(work, "home") },
  });
}

const BASE = "127.0.0.1:5000/envforge/debian:bookworm";

describe.skipIf(gate.skip)("apt pinned in the lock", () => {
  it(
    "locks hello and what it pulls in, and the recipe installs exactly those versions",
    { timeout: 180_000 },
    async () => {
      await writeFile(join(work, "envforge.yaml"), `image: ${BASE}\napt:\n  - hello\n`);
      const locked = await envforge(["lock", "envforge.yaml"]);
      expect(locked.code, locked.stderr).toBe(0);
      const lock = parseLockFile(await readFile(join(work, "envforge.lock"), "utf8"));
      const apt = lock.platforms[0]?.apt ?? [];
      const hello = apt.find((p) => p.name === "hello");
      expect(hello?.version).toMatch(/^2\.10-\d/);

      const recipe = await envforge(["dockerfile", "envforge.yaml", "--lock", "envforge.lock"]);
      expect(recipe.code, recipe.stderr).toBe(0);
      const install = recipe.stdout.split("\n").find((line) => line.includes("apt-get install"));
      expect(install).toContain(`hello=${hello?.version}`);
      for (const p of apt) expect(install).toContain(`${p.name}=${p.version}`);

      // Locking again gives the same bytes: the answer is the base image's sources, not chance.
      const again = await envforge(["lock", "envforge.yaml"]);
      expect(again.stdout).toMatch(/\nunchanged envforge\.lock /);
    },
  );

  it(
    "refuses an apt package that does not exist, naming it, and writes nothing",
    { timeout: 180_000 },
    async () => {
      await writeFile(
        join(work, "missing.yaml"),
        `image: ${BASE}\napt:\n  - hello\n  - envforge-no-such-package\n`,
      );
      const result = await envforge(["lock", "missing.yaml", "-o", "missing.lock"]);
      expect([result.code, result.stderr.trim().split("\n").at(-1)]).toEqual([
        2,
        `envforge: apt: apt package "envforge-no-such-package" is not in the apt sources of the base image ${BASE} (found envforge-no-such-package; allowed: a package its \`apt-cache policy\` lists)`,
      ]);
      await expect(stat(join(work, "missing.lock"))).rejects.toThrow(/ENOENT/);
    },
  );
});

describe.skipIf(gate.skip)("apt pinned at registration", () => {
  let channel: SeedChannel;
  beforeAll(async () => {
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
  });
  afterAll(async () => {
    await channel?.close();
  });

  async function definition(name: string, apt: readonly string[]): Promise<string> {
    const folder = join(work, name);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    await writeFile(
      join(folder, "conda.yml"),
      `channels:\n  - ${channel.url}\ndependencies:\n  - python=3.11\n`,
    );
    await writeFile(
      join(folder, "envforge.yaml"),
      `image: ${BASE}\nconda_file: conda.yml\napt:\n${apt.map((a) => `  - ${a}\n`).join("")}`,
    );
    return join(folder, "envforge.yaml");
  }

  it("env create stores the apt versions in the version's lock", { timeout: 180_000 }, async () => {
    const file = await definition("with-apt", ["hello"]);
    const created = await envforge(["env", "create", "-f", file, "-n", "with-apt", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const result = JSON.parse(created.stdout) as {
      lock: { state: string; problems: unknown[] };
      version: { lock?: { platforms: { apt?: { name: string; version: string }[] }[] } };
    };
    expect(result.lock).toMatchObject({ state: "locked", problems: [] });
    const apt = result.version.lock?.platforms[0]?.apt ?? [];
    expect(apt.find((p) => p.name === "hello")?.version).toMatch(/^2\.10-\d/);
  });

  it(
    "env create refuses an apt package that does not exist and stores nothing",
    { timeout: 180_000 },
    async () => {
      const file = await definition("no-apt", ["envforge-no-such-package"]);
      const refused = await envforge(["env", "create", "-f", file, "-n", "no-apt"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `apt package "envforge-no-such-package" is not in the apt sources of the base image ${BASE}@sha256:`,
      );
      expect((await envforge(["env", "show", "no-apt"])).code).toBe(3);
    },
  );
});
