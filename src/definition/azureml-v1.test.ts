import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { definitionFromConda, definitionFromPip } from "./assemble-definition.js";
import {
  AZUREML_V1_CONDA_FILE,
  AZUREML_V1_DEFINITION_FILE,
  AZUREML_V1_DOCKERFILE,
  azureMlV1FromDefinition,
  definitionFromAzureMlV1,
} from "./azureml-v1.js";
import type { AzureMlV1Files } from "./azureml-v1.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import type { ParseSettings } from "./definition.js";
import { definitionHash } from "./definition-hash.js";
import { problemsOf } from "../../test/support/problems.js";

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

function fixture(path: string): { path: string; text: string } {
  const url = new URL(`./__fixtures__/definitions/${path}`, import.meta.url);
  return { path, text: readFileSync(fileURLToPath(url), "utf8") };
}

const PYTORCH_FOLDER: AzureMlV1Files = {
  environment: fixture(`azureml-v1-pytorch/${AZUREML_V1_DEFINITION_FILE}`),
  condaDependencies: fixture(`azureml-v1-pytorch/${AZUREML_V1_CONDA_FILE}`),
};

/** The scaffold JSON with one section replaced. */
function environmentWith(patch: Record<string, unknown>): AzureMlV1Files {
  const base: unknown = JSON.parse(PYTORCH_FOLDER.environment.text);
  const json = { ...(base as Record<string, unknown>), ...patch };
  return {
    environment: { path: "azureml_environment.json", text: JSON.stringify(json, null, 4) },
  };
}

describe("definitionFromAzureMlV1", () => {
  it("loads the seed's pytorch folder", () => {
    const { definition, warnings } = definitionFromAzureMlV1(PYTORCH_FOLDER, SETTINGS);
    expect(warnings).toEqual([]);
    expect(definition).toEqual({
      kind: "azureml-v1",
      name: "pytorch",
      version: "3",
      tags: {},
      base: {
        kind: "image",
        image: {
          registry: "registry.example.test",
          repository: "azureml/openmpi3.1.2-ubuntu18.04",
          tag: "20210615.v1",
        },
        defaulted: false,
      },
      conda: parseCondaEnvironment(PYTORCH_FOLDER.condaDependencies ?? { path: "", text: "" }),
      apt: [],
      variables: { EXAMPLE_ENV_VAR: "EXAMPLE_VALUE" },
      platform: "linux-64",
      python: { userManagedDependencies: false, interpreterPath: "python" },
    });
  });

  it("loads a BaseDockerfile folder with user-managed Python and its platform", () => {
    const { definition } = definitionFromAzureMlV1(
      {
        environment: fixture(`azureml-v1-dockerfile/${AZUREML_V1_DEFINITION_FILE}`),
        baseDockerfile: fixture(`azureml-v1-dockerfile/${AZUREML_V1_DOCKERFILE}`),
      },
      SETTINGS,
    );
    expect(definition.base).toEqual({
      kind: "dockerfile",
      dockerfile: fixture(`azureml-v1-dockerfile/${AZUREML_V1_DOCKERFILE}`).text,
    });
    expect(definition.conda).toBeUndefined();
    expect(definition.python).toEqual({
      userManagedDependencies: true,
      interpreterPath: "/usr/bin/python3",
    });
  });

  it("gives a folder without conda file and without base image Azure's defaults", () => {
    const { definition } = definitionFromAzureMlV1(
      environmentWith({
        docker: { baseImage: null, platform: { os: "Linux", architecture: "arm64" } },
      }),
      SETTINGS,
    );
    expect(definition.base).toMatchObject({ kind: "image", defaulted: true });
    expect(definition.conda?.dependencies).toEqual(["python=3.10"]);
    expect(definition.platform).toBe("linux-aarch64");
  });

  it("reads inline python.condaDependencies when there is no conda file", () => {
    const { definition } = definitionFromAzureMlV1(
      environmentWith({
        python: {
          userManagedDependencies: false,
          condaDependencies: { channels: ["conda-forge"], dependencies: ["numpy"] },
        },
      }),
      SETTINGS,
    );
    expect(definition.conda).toEqual({
      channels: ["conda-forge"],
      dependencies: ["numpy", "python=3.10"],
      pip: [],
      variables: {},
    });
  });

  it("never copies a registry password, and does not show it", () => {
    const secret = "hunter2-secret";
    const messages = problemsOf(() =>
      definitionFromAzureMlV1(
        environmentWith({
          docker: {
            baseImage: "base:1",
            baseImageRegistry: {
              address: "registry.example.test",
              username: "me",
              password: secret,
            },
          },
        }),
        SETTINGS,
      ),
    );
    expect(messages).toEqual([
      "azureml_environment.json:18:25: docker.baseImageRegistry.password: a registry password cannot be part of an environment definition; remove it and log in with `docker login` (envforge uses the Docker credentials) (found a password (not shown); allowed: null)",
    ]);
    expect(messages.join("\n")).not.toContain(secret);
  });

  it("drops a registry username and run settings with warnings", () => {
    const { definition, warnings } = definitionFromAzureMlV1(
      environmentWith({
        docker: {
          baseImage: "base:1",
          shmSize: "16g",
          arguments: ["--ipc=host"],
          baseImageRegistry: { address: "registry.example.test", username: "me", password: null },
        },
      }),
      SETTINGS,
    );
    expect(definition.base).toMatchObject({
      image: { registry: "registry.example.test", repository: "base", tag: "1" },
    });
    expect(warnings.map((warning) => `${warning.key}: ${warning.message}`)).toEqual([
      "docker.baseImageRegistry.username: ignored: registry credentials come from the Docker configuration",
      "docker.shmSize: ignored: a docker run setting belongs to a job, not to an image",
      "docker.arguments: ignored: a docker run setting belongs to a job, not to an image",
    ]);
  });

  it("refuses what envforge cannot build, all at once", () => {
    expect(
      problemsOf(() =>
        definitionFromAzureMlV1(
          environmentWith({
            spark: { repositories: [], packages: [{ group: "g", artifact: "a", version: "1" }] },
            databricks: { pypiLibraries: [{ package: "x" }] },
            r: { rVersion: "4.0" },
            inferencingStackVersion: "latest",
            docker: {
              baseImage: "base:1",
              buildContext: { locationType: "git", location: "https://git.example.test/r.git" },
              platform: { os: "Windows", architecture: "amd64" },
            },
            environmentVariables: { "BAD-NAME": "x" },
          }),
          SETTINGS,
        ),
      ).map((message) => message.replace(/^azureml_environment\.json:\d+:\d+: /, "")),
    ).toEqual([
      'docker.buildContext: a remote build context (git or storage account) is not supported by envforge (found "https://git.example.test/r.git")',
      "spark.packages: Spark is not supported by envforge (found a non-empty list)",
      "databricks.pypiLibraries: Databricks is not supported by envforge (found a non-empty list)",
      "r: the R section (deprecated by Azure ML) is not supported by envforge (found a mapping)",
      'inferencingStackVersion: the Azure ML inferencing stack is not supported by envforge (found "latest")',
      'docker.platform.os: only Linux images are supported (found "Windows"; allowed: "Linux")',
      'environmentVariables.BAD-NAME: not a valid environment variable name (found "BAD-NAME"; allowed: letters, digits and _, not starting with a digit)',
    ]);
  });

  it("refuses unknown keys like every other parser", () => {
    expect(
      problemsOf(() => definitionFromAzureMlV1(environmentWith({ colour: "blue" }), SETTINGS)),
    ).toEqual([
      expect.stringMatching(
        /^azureml_environment\.json:\d+:\d+: colour: unknown key "colour" \(allowed: assetId, databricks, docker, /,
      ),
    ]);
  });
});

describe("azureMlV1FromDefinition", () => {
  it("writes Azure's folder format: JSON with indent 4, the conda file as written", () => {
    const { definition } = definitionFromAzureMlV1(PYTORCH_FOLDER, SETTINGS);
    const { files, warnings } = azureMlV1FromDefinition(definition);
    expect(warnings).toEqual([]);
    expect(Object.keys(files)).toEqual([AZUREML_V1_DEFINITION_FILE, AZUREML_V1_CONDA_FILE]);
    expect(files[AZUREML_V1_CONDA_FILE]).toBe(PYTORCH_FOLDER.condaDependencies?.text);
    const json: unknown = JSON.parse(files[AZUREML_V1_DEFINITION_FILE] ?? "");
    expect(json).toMatchObject({
      name: "pytorch",
      version: "3",
      environmentVariables: { EXAMPLE_ENV_VAR: "EXAMPLE_VALUE" },
      python: { userManagedDependencies: false, interpreterPath: "python" },
      docker: {
        baseImage: "registry.example.test/azureml/openmpi3.1.2-ubuntu18.04:20210615.v1",
        baseImageRegistry: { address: null, username: null, password: null },
        platform: { os: "Linux", architecture: "amd64" },
      },
    });
    expect(files[AZUREML_V1_DEFINITION_FILE]).toMatch(/^\{\n {4}"name": "pytorch",\n/);
  });

  it("round-trips: load → save → load gives the same definition", () => {
    for (const folder of [
      PYTORCH_FOLDER,
      {
        environment: fixture(`azureml-v1-dockerfile/${AZUREML_V1_DEFINITION_FILE}`),
        baseDockerfile: fixture(`azureml-v1-dockerfile/${AZUREML_V1_DOCKERFILE}`),
      },
    ]) {
      const first = definitionFromAzureMlV1(folder, SETTINGS).definition;
      const { files } = azureMlV1FromDefinition(first);
      const read = (name: string) => {
        const text = files[name];
        return text === undefined
          ? undefined
          : { path: folder.environment.path.replace(AZUREML_V1_DEFINITION_FILE, name), text };
      };
      const second = definitionFromAzureMlV1(
        {
          environment: read(AZUREML_V1_DEFINITION_FILE) ?? folder.environment,
          ...(read(AZUREML_V1_CONDA_FILE) === undefined
            ? {}
            : { condaDependencies: read(AZUREML_V1_CONDA_FILE) }),
          ...(read(AZUREML_V1_DOCKERFILE) === undefined
            ? {}
            : { baseDockerfile: read(AZUREML_V1_DOCKERFILE) }),
        },
        SETTINGS,
      ).definition;
      expect(second).toEqual(first);
      expect(definitionHash(second)).toBe(definitionHash(first));
    }
  });

  it("writes pip requirements into the conda file's pip: list, keeping its comments", () => {
    const conda = parseCondaEnvironment(fixture("pytorch/environment.yml"));
    const definition = {
      ...definitionFromConda({ conda, name: "with-pip" }, SETTINGS),
      pip: {
        requirements: [
          { name: "tqdm", requirement: "tqdm==4.66.4", hashes: [`sha256:${"a".repeat(64)}`] },
        ],
        constraints: [],
        indexUrl: "https://pypi.example.test/simple",
        extraIndexUrls: [],
        findLinks: [],
        pre: false,
      },
    };
    const { files, warnings } = azureMlV1FromDefinition(definition);
    expect(files[AZUREML_V1_CONDA_FILE])
      .toBe(`# The seed's environment: PyTorch from the pytorch channel on Python 3.7.
name: pytorch
channels:
  - defaults
  - pytorch
dependencies:
  - python=3.7
  - pytorch
  - torchvision
  - pip:
      - --index-url https://pypi.example.test/simple
      - tqdm==4.66.4 --hash=sha256:${"a".repeat(64)}
`);
    expect(warnings).toEqual([
      { message: "pip requirements were written into the pip: list of conda_dependencies.yml" },
    ]);
  });

  it("writes a conda file from the model when there is no text to keep", () => {
    const definition = definitionFromPip(
      {
        name: "from-pip",
        pip: {
          requirements: [{ name: "numpy", requirement: "numpy==1.26.4", hashes: [] }],
          constraints: [],
          extraIndexUrls: [],
          findLinks: [],
          pre: true,
        },
      },
      SETTINGS,
    );
    expect(azureMlV1FromDefinition(definition).files[AZUREML_V1_CONDA_FILE]).toBe(
      // no channels written: conda's default channels, shown as `defaults`
      "channels:\n  - defaults\ndependencies:\n  - python=3.10\n  - pip\n  - pip:\n      - --pre\n      - numpy==1.26.4\n",
    );
  });

  it("refuses what a v1 folder cannot hold", () => {
    const conda = parseCondaEnvironment(fixture("pytorch/environment.yml"));
    const definition = { ...definitionFromConda({ conda }, SETTINGS), apt: ["curl"] };
    expect(problemsOf(() => azureMlV1FromDefinition(definition))).toEqual([
      "name: an Azure ML v1 folder needs an environment name",
      "apt: apt packages cannot be saved in an Azure ML v1 folder (allowed: install them in a Dockerfile)",
    ]);
  });
});
