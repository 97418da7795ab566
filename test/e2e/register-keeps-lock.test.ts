/**
 * A new version whose definition changed only in variables keeps the previous version's lock:
 * the lock is keyed by the resolution hash, so registration takes it over without solving (the
 * channel is gone by then, and the version is still locked, with the same packages).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";

const Registered = z.looseObject({
  created: z.boolean(),
  lock: z.looseObject({ state: z.string(), problems: z.array(z.unknown()) }),
  version: z.looseObject({
    version: z.number(),
    definitionHash: z.string(),
    lock: z
      .looseObject({
        definitionHash: z.string(),
        platforms: z.array(
          z.looseObject({
            conda: z.array(
              z.looseObject({ name: z.string(), url: z.string(), sha256: z.string() }),
            ),
          }),
        ),
      })
      .optional(),
  }),
});

let dir: string;
let channel: SeedChannel;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-keeps-lock-"));
  env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
  channel = await startSeedChannel({ extra: PYTHON_SHIMS });
});

afterAll(async () => {
  await channel?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function create(text: string) {
  await writeFile(join(dir, "env.yml"), text);
  const run = await cli(["env", "create", "-f", "env.yml", "-n", "keep", "--json"], {
    env,
    cwd: dir,
  });
  expect(run.code, run.stderr).toBe(0);
  return Registered.parse(JSON.parse(run.stdout));
}

describe("registration keeps the lock of a definition that changed only in variables", () => {
  it("takes the previous version's packages without solving", async () => {
    const spec = `channels:\n  - ${channel.url}\ndependencies:\n  - python=3.11\n  - zlib\n`;
    const first = await create(spec);
    expect(first.lock.state).toBe("locked");
    const packages = (r: z.infer<typeof Registered>) =>
      r.version.lock?.platforms[0]?.conda.map((c) => `${c.name} ${c.url} ${c.sha256}`) ?? [];
    expect(packages(first)).toHaveLength(2);

    await channel.close();
    const second = await create(`${spec}variables:\n  MODE: train\n`);
    expect([second.created, second.version.version, second.lock]).toEqual([
      true,
      2,
      { state: "locked", filled: false, problems: [] },
    ]);
    expect(packages(second)).toEqual(packages(first));
    expect(second.version.lock?.definitionHash).toBe(second.version.definitionHash);
    expect(second.version.definitionHash).not.toBe(first.version.definitionHash);

    // A changed spec is resolved again: with the channel gone, that version has no lock.
    const third = await create(spec.replace("  - zlib\n", "  - zlib >=1\n"));
    expect(third.lock.state).toBe("unlocked");
  });
});
