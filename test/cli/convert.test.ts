import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../support/run-cli.js";

const seed = resolve(import.meta.dirname, "../../examples/pytorch/environment.yml");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-convert-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hashOf(path: string): Promise<string> {
  const result = await cli(["hash", path]);
  expect(result.stderr).toBe("");
  return result.stdout.trim();
}

async function convert(from: string, to: string, out: string): Promise<void> {
  const result = await cli(["convert", from, "--to", to, "--output", out]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

describe("envforge convert", () => {
  it("keeps the definition hash through envforge, Azure v2 and Azure v1", async () => {
    const original = await hashOf(seed);
    await convert(seed, "envforge", join(dir, "ef"));
    await convert(seed, "azureml-v2", join(dir, "v2"));
    await convert(seed, "azureml-v1", join(dir, "v1"));
    expect(await hashOf(join(dir, "ef/envforge.yaml"))).toBe(original);
    expect(await hashOf(join(dir, "v2/azureml-environment.yaml"))).toBe(original);
    expect(await hashOf(join(dir, "v1"))).toBe(original);
    // and back again from Azure v1 to envforge
    await convert(join(dir, "v1"), "envforge", join(dir, "back"));
    expect(await hashOf(join(dir, "back/envforge.yaml"))).toBe(original);
  });

  it("writes envforge's own keys, and refuses them for Azure v2 without writing", async () => {
    const file = join(dir, "envforge.yaml");
    await writeFile(
      file,
      [
        "name: tools",
        "image: 127.0.0.1:5000/envforge/debian:bookworm",
        "conda_file: {channels: [defaults], dependencies: [python=3.10]}",
        "pip: [requests==2.31.0]",
        "apt: [curl]",
        "variables: {OMP_NUM_THREADS: '4'}",
        "",
      ].join("\n"),
    );
    const original = await hashOf(file);
    await convert(file, "envforge", join(dir, "ef"));
    expect(await hashOf(join(dir, "ef/envforge.yaml"))).toBe(original);

    const refused = await cli(["convert", file, "--to", "azureml-v2", "--output", join(dir, "v2")]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      [
        "envforge: azureml-environment.yaml: apt: Azure ML v2 environments have no apt packages (allowed: --to envforge)",
        "azureml-environment.yaml: variables: Azure ML v2 environments have no variables (allowed: --to envforge)",
        "",
      ].join("\n"),
    );
    expect((await readdir(dir)).sort()).toEqual(["ef", "envforge.yaml"]);
  });

  it("keeps pip for the image's interpreter in envforge.yaml, and refuses it for Azure v1 and v2 without writing", async () => {
    const work = join(dir, "user-managed");
    await mkdir(work);
    const file = join(work, "envforge.yaml");
    await writeFile(
      file,
      [
        "image: 127.0.0.1:5000/envforge/debian:bookworm",
        "python: {user_managed_dependencies: true, interpreter_path: /usr/bin/python3}",
        "pip: [requests==2.31.0]",
        "",
      ].join("\n"),
    );
    const original = await hashOf(file);
    await convert(file, "envforge", join(work, "ef"));
    expect(await hashOf(join(work, "ef/envforge.yaml"))).toBe(original);
    for (const [to, shown] of [
      [
        "azureml-v2",
        "azureml-environment.yaml: pip: Azure ML v2 keeps pip requirements in a conda file",
      ],
      [
        "azureml-v1",
        "pip: Azure ML v1 keeps pip requirements in conda_dependencies.yml, which it ignores when Python is user-managed",
      ],
    ] as const) {
      const refused = await cli(["convert", file, "--to", to, "--output", join(work, to)]);
      expect(refused.code, to).toBe(2);
      expect(refused.stderr, to).toContain(shown);
    }
    expect((await readdir(work)).sort()).toEqual(["ef", "envforge.yaml"]);
  });

  it("gives a Dockerfile definition a build context of its own", async () => {
    const dockerfile = join(dir, "Dockerfile");
    await writeFile(dockerfile, "FROM 127.0.0.1:5000/envforge/debian:bookworm\nRUN true\n");
    const original = await hashOf(dockerfile);
    await convert(dockerfile, "envforge", join(dir, "ef"));
    expect(await readdir(join(dir, "ef/context"))).toEqual(["Dockerfile"]);
    expect(await hashOf(join(dir, "ef/envforge.yaml"))).not.toBe("");
    // A Dockerfile's content is hashed as such; as a build context it is the context's listing.
    const result = await cli(["dockerfile", join(dir, "ef/envforge.yaml")]);
    expect(result.stdout).toMatch(/^FROM 127\.0\.0\.1:5000\/envforge\/debian:bookworm$/m);
    expect(original).toMatch(/^envforge_/);
  });

  it("points build.path at the original build context", async () => {
    const context = join(dir, "ctx");
    await mkdir(context);
    await writeFile(join(context, "Dockerfile"), "FROM 127.0.0.1:5000/envforge/debian:bookworm\n");
    await writeFile(join(context, "app.py"), "print('hi')\n");
    const original = await hashOf(context);
    await convert(context, "envforge", join(dir, "out"));
    expect(await hashOf(join(dir, "out/envforge.yaml"))).toBe(original);
  });

  it("names an unknown format", async () => {
    const result = await cli(["convert", seed, "--to", "yaml", "--output", join(dir, "x")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'envforge: --to: unknown format (found "yaml"; allowed: envforge, azureml-v1, azureml-v2)\n',
    );
  });
});
