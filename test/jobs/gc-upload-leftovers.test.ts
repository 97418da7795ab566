/**
 * Issue 13: a server killed mid-upload (before uploads were read in memory) left
 * `envforge-upload-*` folders in the temp folder and gc never removed them. gc now removes
 * those older than --context-age, and keeps a fresh one and anything else in the folder.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { dockerClient, dockerProblem, engineGate } from "../support/docker.js";
import { cli } from "../support/run-cli.js";

const gate = engineGate("Docker engine", await dockerProblem(dockerClient()));
const Plan = z.object({ contexts: z.array(z.object({ path: z.string() })) });

describe.skipIf(gate.skip)("envforge gc and upload leftovers", () => {
  let dir: string;
  let temp: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    gate.require();
    dir = mkdtempSync(join(tmpdir(), "envforge-gc-uploads-"));
    temp = join(dir, "tmp");
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "none.yaml"),
      HOME: dir,
      TMPDIR: temp,
    };
    const day = Date.now() / 1000 - 86_400;
    for (const name of ["envforge-upload-old1", "envforge-upload-old2", "other-old"]) {
      mkdirSync(join(temp, name, "sub"), { recursive: true });
      writeFileSync(join(temp, name, "sub", "environment.yml"), "dependencies: []\n");
      utimesSync(join(temp, name), day, day);
    }
    mkdirSync(join(temp, "envforge-upload-fresh"));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("lists old upload folders in --dry-run and removes them, keeping fresh and foreign ones", async () => {
    const dry = await cli(["gc", "--dry-run", "--json"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    const planned = Plan.parse(JSON.parse(dry.stdout)).contexts.map((c) => c.path);
    expect(planned).toEqual([
      join(temp, "envforge-upload-old1"),
      join(temp, "envforge-upload-old2"),
    ]);
    expect(existsSync(join(temp, "envforge-upload-old1"))).toBe(true);

    const run = await cli(["gc"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(temp, "envforge-upload-old1"))).toBe(false);
    expect(existsSync(join(temp, "envforge-upload-old2"))).toBe(false);
    expect(existsSync(join(temp, "envforge-upload-fresh"))).toBe(true);
    expect(existsSync(join(temp, "other-old"))).toBe(true);
  });
});
