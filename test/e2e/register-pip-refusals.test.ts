/**
 * pip requirements that cannot be locked anywhere are refused at registration and by `envforge
 * lock`, each with its reason, and nothing is written: no environment, no version, no lock file.
 * A requirement the index does not have, one without a wheel for the target (cp311 manylinux),
 * and one with only an sdist; a range with a dependency locks and registers.
 */
import { existsSync } from "node:fs";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { PYTHON_SHIMS } from "../../scripts/support/seed-flow-setup.js";
import { hostPipProblem } from "../../src/pip/run-pip.js";
import { startPipIndex } from "../support/pip-index.js";
import type { PipIndex } from "../support/pip-index.js";
import { cli } from "../support/run-cli.js";
import { startSeedChannel } from "../support/seed-channel.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { buildSdist, buildWheel } from "../support/wheels.js";

const missing = await hostPipProblem();
if (missing !== undefined) console.warn(`skipping pip refusal tests: ${missing}`);

describe.skipIf(missing !== undefined)("pip requirements that cannot be locked", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let channel: SeedChannel;
  let index: PipIndex;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "envforge-pip-refusals-"));
    env = { ENVFORGE_HOME: join(dir, "home"), ENVFORGE_CONFIG: join(dir, "none.yaml"), HOME: dir };
    channel = await startSeedChannel({ extra: PYTHON_SHIMS });
    index = await startPipIndex({
      debianWheels: false,
      files: [
        buildWheel({ name: "app", version: "1.0", requires: ["lib>=1"] }),
        buildWheel({ name: "lib", version: "1.5" }),
        buildWheel({ name: "newer", version: "1.0", tag: "cp313-cp313-manylinux_2_17_x86_64" }),
        buildSdist("srconly", "2.0"),
      ],
    });
  });
  afterAll(async () => {
    await channel?.close();
    await index?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function definitionFile(name: string, requirement: string): Promise<string> {
    const folder = join(dir, name);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    const file = join(folder, "envforge.yaml");
    await writeFile(
      file,
      [
        `name: ${name}`,
        "image: 127.0.0.1:5000/envforge/debian:bookworm",
        `conda_file: {channels: ["${channel.url}"], dependencies: [python=3.11]}`,
        `pip: ["--index-url ${index.url}", "${requirement}"]`,
        "",
      ].join("\n"),
    );
    return file;
  }

  function rowCounts(): { environments: number; versions: number } {
    if (!existsSync(join(dir, "home", "envforge.db"))) return { environments: 0, versions: 0 };
    const db = new Database(join(dir, "home", "envforge.db"), { readonly: true });
    try {
      const count = (table: string) =>
        z.object({ n: z.number() }).parse(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).n;
      return { environments: count("environments"), versions: count("environment_versions") };
    } finally {
      db.close();
    }
  }

  it("locks and registers a range with a dependency", async () => {
    const file = await definitionFile("good", "app>=1");
    const run = await cli(["env", "create", "-f", file, "-n", "good", "--json"], {
      env,
      cwd: dir,
    });
    expect(run.code, run.stderr).toBe(0);
    const lock = z
      .object({
        version: z.object({
          lock: z.object({
            platforms: z.array(
              z.object({ pip: z.array(z.object({ name: z.string(), version: z.string() })) }),
            ),
          }),
        }),
      })
      .parse(JSON.parse(run.stdout)).version.lock;
    expect(lock.platforms[0]?.pip.map((p) => `${p.name}==${p.version}`)).toEqual([
      "app==1.0",
      "lib==1.5",
    ]);
  });

  it.each<[string, string, string]>([
    [
      "not on the index",
      "absent>=1",
      `pip requirement "absent>=1": absent is not on the index (tried ${"INDEX"})`,
    ],
    [
      "with no wheel for the target",
      "newer",
      `pip requirement "newer": no wheel of newer for the target on INDEX; tags tried: python 3.11 (cp311, abi3, none; py3-none-any), platforms manylinux_2_28_x86_64 … manylinux1_x86_64`,
    ],
    [
      "with only an sdist",
      "srconly",
      `pip requirement "srconly": srconly has only source distributions (sdists) on INDEX; envforge installs wheels and never builds them`,
    ],
  ])("refuses a requirement %s, writing nothing", async (name, requirement, message) => {
    const before = rowCounts();
    const file = await definitionFile(`bad-${name.replace(/\W+/g, "-")}`, requirement);
    const expected = message.replaceAll("INDEX", index.url);
    const create = await cli(["env", "create", "-f", file, "-n", "bad"], { env, cwd: dir });
    expect(create.code, create.stderr).toBe(2);
    expect(create.stderr).toContain(expected);
    expect(rowCounts()).toEqual(before);
    const lock = await cli(["lock", file], { env, cwd: dir });
    expect(lock.code, lock.stderr).toBe(2);
    expect(lock.stderr).toContain(expected);
    await expect(access(join(file, "..", "envforge.lock"))).rejects.toThrow();
  });
});
