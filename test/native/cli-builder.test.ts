/**
 * The builder as the CLI chooses it: an unknown ENVFORGE_BUILDER stops every command at start
 * (exit 2, naming the variable), a named native builder refuses apt packages before a build is
 * queued, and with no builder named a conda environment is built natively (auto), also into an
 * OCI layout folder with `--output`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { cli } from "../support/run-cli.js";
import { BASE_IMAGE } from "../support/registry.js";
import type { SeedChannel } from "../support/seed-channel.js";
import { docker, gate } from "../build/harness.js";
import { removeImage } from "../support/docker.js";
import { openCliHome, run } from "./harness.js";
import type { CliHome } from "./harness.js";

const Built = z.looseObject({
  state: z.string(),
  cacheHit: z.boolean(),
  image: z.object({ name: z.string(), digest: z.string() }),
});

let home: CliHome;
let dir: string;
let channel: SeedChannel;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (gate.skip) return;
  gate.require();
  home = await openCliHome("envforge-native-cli-");
  ({ dir, channel, env } = home);
});

afterAll(async () => {
  await home?.close();
});

describe.skipIf(gate.skip)("the builder the CLI chooses", () => {
  it("stops at start on an unknown ENVFORGE_BUILDER, naming it", async () => {
    const result = await cli(["env", "list"], { env: { ...env, ENVFORGE_BUILDER: "kaniko" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ENVFORGE_BUILDER");
    expect(result.stderr).toContain('"kaniko"');
    expect(result.stderr).toContain("auto, native, docker");
  });

  it("refuses apt packages with --builder native before anything is queued", async () => {
    const file = join(dir, "apt.yaml");
    await writeFile(file, `name: with-apt\nimage: ${BASE_IMAGE}\napt:\n  - curl\n`);
    const created = await cli(["env", "create", "-f", file], { env });
    expect(created.code, created.stderr).toBe(0);
    const refused = await cli(["env", "build", "with-apt", "--builder", "native"], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("apt");
    expect(refused.stderr).toContain("ENVFORGE_BUILDER=docker");
    const builds = await cli(["build", "list", "--json"], { env });
    expect(JSON.parse(builds.stdout)).toMatchObject({ items: [] });
  });

  it("builds a conda environment natively when no builder is named, into a layout folder too", async () => {
    const file = join(dir, "environment.yml");
    await writeFile(
      file,
      `name: hello\nchannels:\n  - ${channel.url}\ndependencies:\n  - envforge-hello\n`,
    );
    const created = await cli(["env", "create", "-f", file], { env });
    expect(created.code, created.stderr).toBe(0);
    const layout = join(dir, "layout");
    const result = await cli(["env", "build", "hello", "--json", "--output", `oci:${layout}`], {
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    const build = Built.parse(JSON.parse(result.stdout));
    home.pushed.push(build);
    expect(build.state).toBe("succeeded");
    expect(result.stderr).toContain("native builder");
    const { stdout } = await run("skopeo", ["inspect", `oci:${layout}`]);
    expect(JSON.parse(stdout)).toMatchObject({ Digest: build.image.digest });

    const again = await cli(["env", "build", "hello", "--json"], { env });
    expect(Built.parse(JSON.parse(again.stdout))).toMatchObject({
      cacheHit: true,
      image: { digest: build.image.digest },
    });
  }, 120_000);

  it("keeps a native image in the local engine without a registry, and run uses it", async () => {
    const local: NodeJS.ProcessEnv = { ...env, ENVFORGE_HOME: join(dir, "local-home") };
    delete local["ENVFORGE_REGISTRY"];
    const file = join(dir, "local.yml");
    await writeFile(
      file,
      `name: hello\nchannels:\n  - ${channel.url}\ndependencies:\n  - envforge-hello\n`,
    );
    const created = await cli(["env", "create", "-f", file], { env: local });
    expect(created.code, created.stderr).toBe(0);
    const built = await cli(["env", "build", "hello", "--json"], { env: local });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain("loaded");
    // Without a registry there is no manifest digest to show.
    const image = z
      .looseObject({ image: z.object({ name: z.string() }) })
      .parse(JSON.parse(built.stdout)).image;
    expect(image.name).toMatch(/^envforge\/envforge_[0-9a-f]{32}$/);
    try {
      const job = await cli(["run", "hello", "--", "envforge-hello"], { env: local });
      expect(job.code, job.stderr).toBe(0);
      expect(job.stdout).toBe("hello from /opt/envforge/env\n");
    } finally {
      await removeImage(docker, `${image.name}:latest`);
    }
  }, 120_000);
});
