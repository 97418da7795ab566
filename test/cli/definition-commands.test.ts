import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

const repo = resolve(import.meta.dirname, "../..");
const seed = join(repo, "examples/pytorch/environment.yml");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("envforge dockerfile", () => {
  it("prints the Dockerfile of the seed environment", async () => {
    const result = await cli(["dockerfile", seed]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^FROM debian:bookworm-slim$/m);
    expect(result.stdout).toMatch(/^ENV CONDA_PREFIX=\/opt\/envforge\/env$/m);
    expect(result.stdout).toMatch(/^ENV CONDA_DEFAULT_ENV=envforge_[0-9a-f]{32}$/m);
  });

  it("uses the configured default base image", async () => {
    const result = await cli(["dockerfile", seed], {
      env: { ENVFORGE_BASE_IMAGE: "127.0.0.1:5000/envforge/debian:bookworm" },
    });
    expect(result.stdout).toMatch(/^FROM 127\.0\.0\.1:5000\/envforge\/debian:bookworm$/m);
  });
});

describe("envforge hash", () => {
  it("ignores comments, order and the name", async () => {
    const a = join(dir, "a.yml");
    const b = join(dir, "b.yml");
    await writeFile(a, "name: one\nchannels: [defaults]\ndependencies: [python=3.7, numpy]\n");
    await writeFile(
      b,
      "# the same environment\nname: two\nchannels: [defaults]\ndependencies:\n  - numpy\n  - python=3.7\n",
    );
    const [first, second] = [await cli(["hash", a]), await cli(["hash", b])];
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^envforge_[0-9a-f]{32}\n$/);
    expect(second.stdout).toBe(first.stdout);
    const changed = join(dir, "c.yml");
    await writeFile(changed, "channels: [defaults]\ndependencies: [python=3.8, numpy]\n");
    expect((await cli(["hash", changed])).stdout).not.toBe(first.stdout);
  });

  it("shows the canonical document with --json", async () => {
    const result = await cli(["hash", seed, "--json"]);
    const body: unknown = JSON.parse(result.stdout);
    expect(body).toMatchObject({
      definitionHash: expect.stringMatching(/^envforge_/),
      canonical: { conda: { channels: ["defaults", "pytorch"] } },
    });
  });
});

describe("envforge validate", () => {
  it("reports every problem of an invalid file with its line, and exits 2", async () => {
    const bad = join(dir, "env.yml");
    await writeFile(
      bad,
      [
        "channels: [defaults]",
        "dependencies:",
        "  - python=3.7",
        "  - numpy>>1.2",
        "prefix: 7",
        "colour: red",
        "",
      ].join("\n"),
    );
    const result = await cli(["validate", seed, bad]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`ok ${seed} (conda, envforge_`);
    expect(result.stdout).toContain(`invalid ${bad}: 3 problems`);
    expect(result.stdout).toContain(`${bad}:4:5: dependencies[1]: not a valid match spec`);
    expect(result.stdout).toContain(
      `${bad}:5:9: prefix: expected a string (found 7; allowed: a string)`,
    );
    expect(result.stdout).toContain(`${bad}:6:1: colour: unknown key "colour"`);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("gives scripts one JSON document", async () => {
    const result = await cli(["validate", join(dir, "missing.yml"), "--json"]);
    expect(result.code).toBe(2);
    const body: unknown = JSON.parse(result.stdout);
    expect(body).toMatchObject({ valid: false, reports: [{ valid: false }] });
  });

  it("names a missing file without a stack trace", async () => {
    const result = await cli(["dockerfile", join(dir, "nope.yml")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `envforge: ${join(dir, "nope.yml")}: cannot read the definition: no such file or folder\n`,
    );
  });
});

describe("envforge ingredients", () => {
  it("writes a build context with the Dockerfile, conda spec and listing", async () => {
    const out = join(dir, "build");
    const result = await cli(["ingredients", seed, "--output", out]);
    expect(result.code).toBe(0);
    const files = await readdir(join(out, "envforge"));
    expect(files.sort()).toEqual(["Dockerfile", "environment.yml", "ingredients.json"]);
    const dockerfile = await readFile(join(out, "envforge/Dockerfile"), "utf8");
    expect(dockerfile).toBe((await cli(["dockerfile", seed])).stdout);
    const conda = await readFile(join(out, "envforge/environment.yml"), "utf8");
    expect(conda).toMatch(/^name: envforge_[0-9a-f]{32}$/m);
  });

  it("refuses a folder that holds files, and leaves it as it was", async () => {
    const out = join(dir, "build");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "mine");
    const result = await cli(["ingredients", seed, "--output", out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the output folder is not empty");
    expect(await readdir(out)).toEqual(["keep.txt"]);
    expect((await readdir(dir)).sort()).toEqual(["build"]);
  });
});
