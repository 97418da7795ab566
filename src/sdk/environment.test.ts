import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { definitionHash } from "../definition/definition-hash.js";
import { Environment } from "./environment.js";
import { Workspace } from "./workspace.js";
import { withLoopbackDefaults } from "../../test/support/loopback-defaults.js";

const seed = resolve(import.meta.dirname, "../../examples/pytorch/environment.yml");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-sdk-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Environment factories", () => {
  it("reads a conda specification as Azure does, and keeps it editable", () => {
    const env = Environment.fromCondaSpecification("pytorch", seed);
    expect(env.name).toBe("pytorch");
    expect(env.python.userManagedDependencies).toBe(false);
    expect(env.python.condaDependencies.condaChannels).toEqual(["defaults", "pytorch"]);
    expect(env.python.condaDependencies.getPythonVersion()).toBe("3.7");
    const before = env.definitionHash();
    env.python.condaDependencies.addPipPackage("tqdm>=4");
    expect(env.definitionHash()).not.toBe(before);
    expect(env.getRecipe().condaSpecification).toContain("- tqdm>=4");
  });

  it("gives the definition it was made from back unchanged", () => {
    const env = Environment.fromCondaSpecification("pytorch", seed);
    const definition = env.toDefinition();
    expect(definitionHash(Environment.fromDefinition(definition).toDefinition())).toBe(
      definitionHash(definition),
    );
  });

  it("makes pip requirements into a conda env with python and pip", async () => {
    const file = join(dir, "requirements.txt");
    await writeFile(file, "requests==2.31.0\n");
    const env = Environment.fromPipRequirements("web", file, "23.0");
    expect(env.python.condaDependencies.condaPackages).toEqual(["python=3.10", "pip=23.0"]);
    expect(env.getRecipe().pipRequirements).toContain("requests==2.31.0");
  });

  it("uses an image's own python when given no dependencies", () => {
    const env = Environment.fromDockerImage("plain", "127.0.0.1:5000/tools/python:3.11");
    expect(env.python.userManagedDependencies).toBe(true);
    expect(env.getRecipe().dockerfile).toMatch(/^FROM 127\.0\.0\.1:5000\/tools\/python:3\.11$/m);
    expect(env.getRecipe().condaSpecification).toBeUndefined();
  });

  it("reads a Dockerfile given by path or as content", async () => {
    const file = join(dir, "Dockerfile");
    const content = "FROM 127.0.0.1:5000/envforge/debian:bookworm\nRUN true\n";
    await writeFile(file, content);
    const fromPath = Environment.fromDockerfile("df", file);
    const fromContent = Environment.fromDockerfile("df", content);
    expect(fromPath.docker.baseDockerfile).toBe(content);
    expect(fromPath.definitionHash()).toBe(fromContent.definitionHash());
  });

  it("refuses conda and pip together for a Dockerfile, as Azure does", async () => {
    const requirements = join(dir, "requirements.txt");
    await writeFile(requirements, "requests\n");
    expect(() =>
      Environment.fromDockerfile("df", "FROM x\n", {
        condaSpecification: seed,
        pipRequirements: requirements,
      }),
    ).toThrow(ValidationError);
  });
});

describe("DockerSection", () => {
  it("keeps image, Dockerfile and build context exclusive", () => {
    const env = Environment.fromCondaSpecification("pytorch", seed);
    env.docker.baseDockerfile = "FROM 127.0.0.1:5000/envforge/debian:bookworm\n";
    env.docker.baseImage = "127.0.0.1:5000/envforge/debian:bookworm";
    expect(env.docker.baseDockerfile).toBeUndefined();
    expect(env.toDefinition().base).toMatchObject({ kind: "image", defaulted: false });
  });
});

describe("Azure ML v1 folders", () => {
  it("save and load give an equal definition and the same hash", async () => {
    const env = Environment.fromCondaSpecification("pytorch", seed);
    env.environmentVariables = { OMP_NUM_THREADS: "4" };
    const folder = join(dir, "aml");
    await env.saveToDirectory(folder);
    const loaded = await Environment.loadFromDirectory(folder);
    expect(loaded.name).toBe("pytorch");
    expect(loaded.environmentVariables).toEqual({ OMP_NUM_THREADS: "4" });
    expect(loaded.definitionHash()).toBe(env.definitionHash());
  });
});

describe("Environment in a workspace", () => {
  it("registers, gives image details, and is found again by get and list", async () => {
    const ws = await Workspace.open({
      env: withLoopbackDefaults({ ENVFORGE_HOME: join(dir, "home") }),
    });
    try {
      const env = Environment.fromCondaSpecification("pytorch", seed);
      await env.register(ws);
      expect(env.version).toBe("1");
      await Environment.fromCondaSpecification("pytorch", seed).register(ws);
      expect((await ws.listVersions("pytorch")).map((v) => v.version)).toEqual([1]);

      const details = await env.getImageDetails(ws);
      expect(details.ingredients.dockerfile).toBe(env.getRecipe().dockerfile);
      expect(details.image.name).toMatch(/envforge\/envforge_[0-9a-f]{32}$/);

      env.python.condaDependencies.addCondaPackage("numpy");
      await env.register(ws);
      expect(env.version).toBe("2");
      const got = await Environment.get(ws, "pytorch", { version: 1 });
      expect(got.python.condaDependencies.condaPackages).toEqual([
        "python=3.7",
        "pytorch",
        "torchvision",
      ]);
      expect([...(await Environment.list(ws)).keys()]).toEqual(["pytorch"]);
    } finally {
      await ws.close();
    }
  });
});
