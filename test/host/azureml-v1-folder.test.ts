import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, ValidationError } from "../../src/errors/index.js";
import { loadAzureMlV1Folder, saveAzureMlV1Folder } from "../../src/host/azureml-v1-folder.js";
import { loadDefinition } from "../../src/host/load-definition.js";
import type { Definition, ParseSettings } from "../../src/definition/definition.js";
import { definitionHash } from "../../src/definition/definition-hash.js";

const FIXTURES = fileURLToPath(
  new URL("../../src/definition/__fixtures__/definitions", import.meta.url),
);

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-v1-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Source paths name the folder a file was read from; everything else must match. */
function withoutSourcePaths(definition: Definition): unknown {
  const { conda, ...rest } = definition;
  if (conda?.source === undefined) return definition;
  return { ...rest, conda: { ...conda, source: { text: conda.source.text } } };
}

describe("Azure ML v1 folders on disk", () => {
  it.each(["azureml-v1-pytorch", "azureml-v1-dockerfile"])(
    "round-trips %s: load → save → load gives an equal definition and hash",
    async (name) => {
      const first = (await loadAzureMlV1Folder(join(FIXTURES, name), { settings: SETTINGS }))
        .definition;
      const saved = join(dir, "saved");
      await saveAzureMlV1Folder(first, saved);
      const second = (await loadAzureMlV1Folder(saved, { settings: SETTINGS })).definition;
      expect(withoutSourcePaths(second)).toEqual(withoutSourcePaths(first));
      expect(definitionHash(second)).toBe(definitionHash(first));
      expect(await readdir(dir)).toEqual(["saved"]);
      expect((await stat(saved)).mode & 0o777).toBe(0o755);
    },
  );

  it("saves a conda definition the way Azure lays a folder out", async () => {
    const definition = {
      ...(await loadDefinition(join(FIXTURES, "pytorch/environment.yml"), { settings: SETTINGS })),
      name: "pytorch",
    };
    const saved = join(dir, "pytorch");
    const { warnings } = await saveAzureMlV1Folder(definition, saved);
    expect(warnings).toEqual([]);
    expect((await readdir(saved)).sort()).toEqual([
      "azureml_environment.json",
      "conda_dependencies.yml",
    ]);
    expect(await readFile(join(saved, "conda_dependencies.yml"), "utf8")).toBe(
      await readFile(join(FIXTURES, "pytorch/environment.yml"), "utf8"),
    );
    const json: unknown = JSON.parse(
      await readFile(join(saved, "azureml_environment.json"), "utf8"),
    );
    expect(json).toMatchObject({ name: "pytorch", docker: { baseImage: null } });
    const reloaded = await loadDefinition(saved, { settings: SETTINGS });
    expect(definitionHash(reloaded)).toBe(definitionHash(definition));
  });

  it("refuses to replace an existing folder unless asked, and then only a v1 folder", async () => {
    const { definition } = await loadAzureMlV1Folder(join(FIXTURES, "azureml-v1-pytorch"), {
      settings: SETTINGS,
    });
    const target = join(dir, "env");
    await saveAzureMlV1Folder(definition, target);
    await expect(saveAzureMlV1Folder(definition, target)).rejects.toThrow(
      new ConflictError(`${target} already exists; pass overwrite to replace it`),
    );

    const changed = { ...definition, variables: { CHANGED: "1" } };
    await saveAzureMlV1Folder(changed, target, { overwrite: true });
    const reloaded = await loadAzureMlV1Folder(target, { settings: SETTINGS });
    expect(reloaded.definition.variables).toEqual({ CHANGED: "1" });
    expect(await readdir(dir)).toEqual(["env"]);

    const work = join(dir, "work");
    await mkdir(work);
    await writeFile(join(work, "train.py"), "print()\n");
    await expect(saveAzureMlV1Folder(definition, work, { overwrite: true })).rejects.toThrow(
      `${work} holds files that are not part of an Azure ML v1 folder (train.py); it was left as it is`,
    );
    expect(await readdir(work)).toEqual(["train.py"]);
  });

  it("writes nothing when the definition cannot be saved", async () => {
    const definition = await loadDefinition(join(FIXTURES, "envforge/envforge.yaml"), {
      settings: SETTINGS,
    });
    const target = join(dir, "env");
    await expect(saveAzureMlV1Folder(definition, target)).rejects.toThrow(ValidationError);
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a folder with a registry password and never shows it", async () => {
    const folder = join(dir, "with-secret");
    await cp(join(FIXTURES, "azureml-v1-pytorch"), folder, { recursive: true });
    const path = join(folder, "azureml_environment.json");
    const json = (await readFile(path, "utf8")).replace(
      '"password": null',
      '"password": "s3cr3t-registry-pass"',
    );
    await writeFile(path, json);
    const error: unknown = await loadDefinition(folder, { settings: SETTINGS }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error)).toContain(`${path}:23:25: docker.baseImageRegistry.password`);
    expect(String(error)).not.toContain("s3cr3t");
  });

  it("needs azureml_environment.json", async () => {
    await expect(loadAzureMlV1Folder(dir, { settings: SETTINGS })).rejects.toThrow(
      `${dir}: not an Azure ML v1 environment folder: it has no azureml_environment.json`,
    );
  });
});
