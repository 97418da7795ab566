import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Problem } from "../../src/errors/index.js";
import { ValidationError } from "../../src/errors/index.js";
import { detectFileKind } from "../../src/host/detect-kind.js";
import { loadDefinition } from "../../src/host/load-definition.js";
import { readCondaEnvironment, readPipRequirements } from "../../src/host/read-dependencies.js";
import type { ParseSettings } from "../../src/definition/definition.js";

const FIXTURES = fileURLToPath(
  new URL("../../src/definition/__fixtures__/definitions", import.meta.url),
);

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

const fixture = (path: string): string => join(FIXTURES, path);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-load-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problemsOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ValidationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("loadDefinition: kind detection", () => {
  it.each([
    ["pytorch/environment.yml", "conda"],
    ["requirements/requirements.txt", "pip"],
    ["envforge/envforge.yaml", "envforge"],
    ["azureml-v2/docker-image-plus-conda.yaml", "azureml-v2"],
    ["azureml-v2/docker-context.yml", "azureml-v2"],
    ["azureml-v2/docker-contexts/python-and-pip/Dockerfile", "dockerfile"],
    ["azureml-v1-pytorch", "azureml-v1"],
    ["azureml-v1-pytorch/azureml_environment.json", "azureml-v1"],
    ["azureml-v1-dockerfile", "azureml-v1"],
    ["azureml-v2/docker-contexts/python-and-pip", "build-context"],
  ])("reads %s as %s", async (path, kind) => {
    const definition = await loadDefinition(fixture(path), { settings: SETTINGS });
    expect(definition.kind).toBe(kind);
  });

  it.each([
    ["deps", "numpy==1.26.4\n# comment\npandas>=2 ; python_version > '3.8'\n-r other.txt\n", "pip"],
    ["env.yaml", "dependencies: [numpy]\nvariables: {A: b}\n", "conda"],
    ["env.yaml", "image: debian\nvariables: {A: b}\n", "envforge"],
    ["env.yaml", "name: x\nimage: debian\n", "azureml-v2"],
    ["app.Dockerfile", "FROM debian\n", "dockerfile"],
    ["notes.md", "# Title\n\nSome prose here.\n", undefined],
    ["env.yaml", "name: only-a-name\n", undefined],
  ])("detects %s with content %j as %s", (path, text, kind) => {
    expect(detectFileKind({ path, text })).toBe(kind);
  });

  it("says which kinds it knows when it cannot tell", async () => {
    const path = join(dir, "notes.md");
    await writeFile(path, "# Title\n\nSome prose.\n");
    expect(await problemsOf(() => loadDefinition(path, { settings: SETTINGS }))).toEqual([
      `${path}: cannot tell what kind of definition this file is (allowed: a conda environment.yml, a pip requirements.txt, envforge.yaml or an Azure ML v2 environment YAML, a Dockerfile, an Azure ML v1 folder or a build context folder)`,
    ]);
  });

  it("names a missing file", async () => {
    const path = join(dir, "missing.yml");
    expect(await problemsOf(() => loadDefinition(path, { settings: SETTINGS }))).toEqual([
      `${path}: cannot read the definition: no such file or folder`,
    ]);
  });
});

describe("loadDefinition: sources", () => {
  it("reads the seed's environment.yml onto the default base image", async () => {
    const definition = await loadDefinition(fixture("pytorch/environment.yml"), {
      settings: SETTINGS,
    });
    expect(definition).toMatchObject({
      kind: "conda",
      base: { kind: "image", defaulted: true, image: { repository: "envforge/debian" } },
      conda: {
        name: "pytorch",
        channels: ["defaults", "pytorch"],
        dependencies: ["python=3.7", "pytorch", "torchvision"],
      },
      python: { userManagedDependencies: false },
    });
  });

  it("reads pip requirements with their -r include", async () => {
    const definition = await loadDefinition(fixture("requirements/requirements.txt"), {
      settings: SETTINGS,
    });
    expect(definition.pip?.requirements.map((requirement) => requirement.requirement)).toEqual([
      "numpy==1.26.4",
      "tqdm==4.66.4",
    ]);
    expect(definition.conda?.dependencies).toEqual(["python=3.10", "pip"]);
  });

  it("reads envforge.yaml and the conda file it names, relative to itself", async () => {
    const definition = await loadDefinition(fixture("envforge/envforge.yaml"), {
      settings: SETTINGS,
    });
    expect(definition).toMatchObject({
      kind: "envforge",
      name: "pytorch-train",
      description: "PyTorch with a few extras for training",
      tags: { team: "vision" },
      base: { kind: "image", defaulted: false, image: { registry: "127.0.0.1:5000" } },
      conda: { dependencies: ["python=3.7", "pytorch", "torchvision", "pip"] },
      apt: ["libgomp1"],
      variables: { OMP_NUM_THREADS: "4" },
    });
    expect(definition.pip?.requirements.map((requirement) => requirement.name)).toEqual(["tqdm"]);
  });

  it("reads an Azure v2 build context, applying its .dockerignore", async () => {
    const context = join(dir, "ctx");
    await cp(fixture("azureml-v2"), dir, { recursive: true });
    await cp(join(dir, "docker-contexts/python-and-pip"), context, { recursive: true });
    await writeFile(join(context, "build.log"), "noise\n");
    const definition = await loadDefinition(join(dir, "docker-context.yml"), {
      settings: SETTINGS,
    });
    expect(definition.base).toMatchObject({
      kind: "build",
      contextPath: join(dir, "docker-contexts/python-and-pip"),
      dockerfilePath: "Dockerfile",
      dockerfile: expect.stringContaining("FROM python:3.10-slim"),
    });
    const withLog = await loadDefinition(context, { settings: SETTINGS });
    const paths = (d: typeof definition) =>
      d.base.kind === "build" ? d.base.files.map((f) => f.path) : [];
    expect(paths(definition)).toEqual([".dockerignore", "Dockerfile", "requirements.txt"]);
    expect(paths(withLog)).toEqual(paths(definition));
    expect(definition.python.userManagedDependencies).toBe(true);
  });

  it("names the definition file and key when its conda_file is missing", async () => {
    const path = join(dir, "env.yaml");
    await writeFile(path, "name: x\nimage: debian\nconda_file: nowhere.yml\n");
    expect(await problemsOf(() => loadDefinition(path, { settings: SETTINGS }))).toEqual([
      `${path}: conda_file: cannot read the file: no such file or folder (found ${JSON.stringify(join(dir, "nowhere.yml"))})`,
    ]);
  });

  it("passes inference_config on as a warning", async () => {
    const path = join(dir, "serve.yaml");
    await writeFile(
      path,
      "name: serve\nimage: debian\ninference_config:\n  liveness_route: {port: 5001, path: /}\n  readiness_route: {port: 5001, path: /}\n  scoring_route: {port: 5001, path: /score}\n",
    );
    const warnings: Problem[] = [];
    await loadDefinition(path, {
      settings: SETTINGS,
      onWarning: (warning) => warnings.push(warning),
    });
    expect(warnings.map((warning) => `${warning.line}: ${warning.key}`)).toEqual([
      "4: inference_config",
    ]);
  });

  it("reads a Dockerfile as given, with Python user-managed", async () => {
    const definition = await loadDefinition(
      fixture("azureml-v2/docker-contexts/python-and-pip/Dockerfile"),
      { settings: SETTINGS },
    );
    expect(definition.base).toEqual({
      kind: "dockerfile",
      dockerfile:
        "FROM python:3.10-slim\nCOPY requirements.txt /tmp/requirements.txt\nRUN pip install -r /tmp/requirements.txt\n",
    });
    expect(definition.python.userManagedDependencies).toBe(true);
  });
});

describe("readCondaEnvironment and readPipRequirements", () => {
  it("read the files the SDK factories take by path", async () => {
    const conda = await readCondaEnvironment(fixture("pytorch/environment.yml"));
    expect(conda.channels).toEqual(["defaults", "pytorch"]);
    const pip = await readPipRequirements(fixture("requirements/requirements.txt"));
    expect(pip.requirements.map((requirement) => requirement.name)).toEqual(["numpy", "tqdm"]);
  });

  it("name a missing file", async () => {
    const path = join(dir, "env.yml");
    expect(await problemsOf(() => readCondaEnvironment(path))).toEqual([
      `${path}: cannot read the file: no such file or folder`,
    ]);
  });
});
