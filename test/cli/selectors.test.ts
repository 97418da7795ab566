/**
 * One grammar for environments on a real SQLite workspace: NAME, NAME@VERSION and NAME:LABEL
 * name the same versions in env show, label, archive, restore, update and diff; flags that
 * contradict the reference are refused; `env create` takes its name from the file's `name:`
 * when --name is left out, and says so when there is none; `--out` still works, with a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { BASE_IMAGE } from "../support/registry.js";
import { cli } from "../support/run-cli.js";

const Version = z.looseObject({
  name: z.string(),
  version: z.number(),
  labels: z.array(z.string()),
});

describe("environment references", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const run = (args: readonly string[]) => cli(args, { env, cwd: dir });
  const shown = async (reference: string): Promise<z.infer<typeof Version>> => {
    const result = await run(["env", "show", reference, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    return Version.parse(JSON.parse(result.stdout));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "envforge-selectors-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      ENVFORGE_SERVER: "",
      HOME: dir,
    };
    for (const step of ["one", "two"]) {
      writeFileSync(join(dir, "Dockerfile"), `FROM ${BASE_IMAGE}\nRUN echo ${step}\n`);
      const created = await run(["env", "create", "-f", "Dockerfile", "-n", "web"]);
      expect(created.code, created.stderr).toBe(0);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("show: NAME is the latest, NAME@N that version, NAME:LABEL where the label points", async () => {
    expect((await shown("web")).version).toBe(2);
    expect((await shown("web@1")).version).toBe(1);
    expect((await shown("web@latest")).version).toBe(2);
    expect((await run(["env", "label", "web@1", "stable"])).code).toBe(0);
    expect((await shown("web:stable")).version).toBe(1);
    // The flags still work, and may repeat what the reference says.
    expect((await run(["env", "show", "web", "--version", "1", "--json"])).code).toBe(0);
    expect((await run(["env", "show", "web@1", "--version", "1", "--json"])).code).toBe(0);
  });

  it("refuses a reference and flags that name two versions, or a malformed reference", async () => {
    const both = await run(["env", "show", "web@1", "--version", "2"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      "envforge: environment: names two different versions (found web@1 and --version 2; allowed: one version: NAME, NAME@VERSION (e.g. pytorch@3) or NAME:LABEL (e.g. pytorch:prod))\n",
    );
    const bad = await run(["env", "show", "web@1:x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('environment: not an environment reference (found "web@1:x"');
    const missing = await run(["env", "show", "web@9"]);
    expect(missing.code).toBe(3);
  });

  it("label: NAME:OTHER points a label where another points; NAME --remove removes it", async () => {
    expect((await run(["env", "label", "web:stable", "previous"])).code).toBe(0);
    expect((await shown("web:previous")).version).toBe(1);
    const removed = await run(["env", "label", "web", "previous", "--remove"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await run(["env", "show", "web:previous"])).code).toBe(3);
    const neither = await run(["env", "label", "web", "x"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain(
      "give the version to label (web@N, web:OTHER-LABEL or --version N)",
    );
  });

  it("update, archive and restore take NAME@VERSION and NAME:LABEL", async () => {
    const updated = await run(["env", "update", "web:stable", "--description", "first", "--json"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ version: 1, description: "first" });
    const unnamed = await run(["env", "update", "web", "--description", "x"]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain("--version: name the version to change");

    expect((await run(["env", "archive", "web@2"])).code).toBe(0);
    expect((await shown("web")).version).toBe(1);
    expect((await run(["env", "restore", "web@2"])).code).toBe(0);
    expect((await shown("web")).version).toBe(2);
  });

  it("diff takes NAME:LABEL and NAME@LABEL alike", async () => {
    const colon = await run(["env", "diff", "web:stable", "web", "--json"]);
    const at = await run(["env", "diff", "web@stable", "web", "--json"]);
    expect(colon.code).toBe(1);
    expect(JSON.parse(colon.stdout)).toMatchObject({ from: "web@1", to: "web@2" });
    expect(at.stdout).toBe(colon.stdout);
  });
});

describe("env create without --name", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envforge-default-name-"));
    env = {
      ENVFORGE_HOME: join(dir, "home"),
      ENVFORGE_CONFIG: join(dir, "missing.yaml"),
      ENVFORGE_SERVER: "",
      HOME: dir,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [
      "environment.yml",
      "name: from-conda\nchannels: [conda-forge]\ndependencies: [python=3.11]\n",
      "from-conda",
    ],
    ["envforge.yaml", `name: from-envforge\nimage: ${BASE_IMAGE}\n`, "from-envforge"],
  ])("%s: the file's name:", async (file, text, name) => {
    writeFileSync(join(dir, file), text);
    const result = await cli(["env", "create", "--file", file, "--json"], { env, cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: { name, version: 1 } });
  });

  it("--name wins over the file's name:", async () => {
    writeFileSync(
      join(dir, "named.yml"),
      "name: inside\nchannels: [conda-forge]\ndependencies: [python=3.11]\n",
    );
    const result = await cli(["env", "create", "-f", "named.yml", "-n", "outside", "--json"], {
      env,
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: { name: "outside" } });
  });

  it("a file without a name needs --name, and nothing is written", async () => {
    writeFileSync(join(dir, "requirements.txt"), "numpy==1.26.4\n");
    const result = await cli(["env", "create", "--file", "requirements.txt"], { env, cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "envforge: --name: requirements.txt declares no name, and no --name was given (allowed: --name NAME, or `name:` in the conda environment.yml or envforge.yaml)\n",
    );
    const listed = await cli(["env", "list", "--json"], { env, cwd: dir });
    expect(
      JSON.parse(listed.stdout)
        .items.map((item: { name: string }) => item.name)
        .sort(),
    ).toEqual(["from-conda", "from-envforge", "outside"]);
  });
});

describe("-o, --output", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envforge-output-"));
    writeFileSync(
      join(dir, "environment.yml"),
      "name: o\nchannels: [conda-forge]\ndependencies: [python=3.11]\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("-o is --output in convert and ingredients", async () => {
    const converted = await cli(["convert", "environment.yml", "--to", "envforge", "-o", "conv"], {
      cwd: dir,
    });
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stderr).toBe("");
    const written = await cli(["ingredients", "environment.yml", "-o", "ingr"], { cwd: dir });
    expect(written.code, written.stderr).toBe(0);
  });

  it("--out still works for existing scripts, with a warning, and is not in help", async () => {
    const result = await cli(["convert", "environment.yml", "--to", "envforge", "--out", "old"], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      "warning: --out is deprecated and will be removed; use -o, --output\n",
    );
    expect((await cli(["convert", "--help"])).stdout).not.toContain("--out ");
    const twice = await cli(["ingredients", "environment.yml", "--out", "a", "--output", "b"], {
      cwd: dir,
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(
      "--output: given twice with different paths (found --output b and --out a",
    );
  });

  it("without either, says which option is missing", async () => {
    const result = await cli(["convert", "environment.yml", "--to", "envforge"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--output: required option missing");
  });
});
