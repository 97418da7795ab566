import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import type { ParseSettings } from "./definition.js";
import {
  definitionFromEnvforgeFile,
  envforgeFileNeeds,
  parseEnvforgeFile,
} from "./envforge-file.js";

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

function parse(text: string, path = "env.yaml") {
  return parseEnvforgeFile({ path, text });
}

function problemsOf(text: string, path = "env.yaml"): string[] {
  try {
    parse(text, path);
  } catch (error) {
    if (error instanceof ValidationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("parseEnvforgeFile: Azure ML CLI v2 environment YAML", () => {
  it("reads Azure's docker-image-plus-conda example and says what it needs", () => {
    const file = parse(`$schema: https://azuremlschemas.example.test/latest/environment.schema.json
name: docker-image-plus-conda-example
version: 1.10
image: registry.example.test/azureml/openmpi4.1.0-ubuntu20.04
conda_file: conda-yamls/pydata.yml
description: Environment created from a Docker image plus Conda environment.
tags:
  team: ml
  gpu: false
  year: 2024
`);
    expect(file).toEqual({
      kind: "azureml-v2",
      path: "env.yaml",
      metadata: {
        name: "docker-image-plus-conda-example",
        version: "1.10",
        description: "Environment created from a Docker image plus Conda environment.",
        tags: { team: "ml", gpu: "false", year: "2024" },
      },
      image: { registry: "registry.example.test", repository: "azureml/openmpi4.1.0-ubuntu20.04" },
      condaFile: { kind: "path", path: "conda-yamls/pydata.yml" },
      warnings: [],
    });
    expect(envforgeFileNeeds(file)).toEqual({ condaFile: "conda-yamls/pydata.yml" });
  });

  it("reads a build context with the default Dockerfile path", () => {
    const file = parse(
      "name: docker-context-example\nbuild:\n  path: docker-contexts/python-and-pip\n",
    );
    expect(file.build).toEqual({
      path: "docker-contexts/python-and-pip",
      dockerfilePath: "Dockerfile",
    });
    expect(envforgeFileNeeds(file)).toEqual({
      buildContext: { path: "docker-contexts/python-and-pip", dockerfilePath: "Dockerfile" },
    });
  });

  it("accepts inference_config and warns that it is ignored", () => {
    const file = parse(`name: serve
image: debian:12
os_type: Linux
inference_config:
  liveness_route: {port: 5001, path: /health}
  readiness_route: {port: 5001, path: /ready}
  scoring_route: {port: 5001, path: /score}
`);
    expect(file.warnings).toEqual([
      {
        file: "env.yaml",
        line: 5,
        column: 3,
        key: "inference_config",
        message:
          "inference_config is ignored: envforge builds environments, it does not serve models",
      },
    ]);
  });

  it("takes an inline conda mapping, with line numbers of the file itself", () => {
    const file = parse(`name: inline
image: debian:12
conda_file:
  channels: [defaults]
  dependencies:
    - python=3.11
    - numpy
`);
    expect(file.condaFile).toEqual({
      kind: "inline",
      conda: {
        channels: ["defaults"],
        dependencies: ["python=3.11", "numpy"],
        pip: [],
        variables: {},
      },
    });
    expect(envforgeFileNeeds(file)).toEqual({});

    expect(
      problemsOf(`name: inline
image: debian:12
conda_file:
  channels: [defaults]
  dependencies:
    - numpy>>1.2
`),
    ).toEqual([expect.stringMatching(/^env\.yaml:6:7: conda_file\.dependencies\[0\]: /)]);
  });
});

describe("parseEnvforgeFile: rules", () => {
  it("reports every problem in the file at once, with line, key, found and allowed", () => {
    expect(
      problemsOf(`name: everything-wrong
image: Not An Image
build:
  path: ctx
conda_file: env.yml
os_type: windows
colour: blue
apt: [curl, "Bad Name"]
variables:
  1X: y
platform: win-64
pip:
  - -e ./local
`),
    ).toEqual([
      'env.yaml:2:8: image: not a valid image reference: the image reference contains whitespace (found "Not An Image"; allowed: [registry[:port]/]repository[:tag][@sha256:<64 hex>])',
      'env.yaml:4:3: build: give exactly one of "image" and "build" (found both; allowed: image: <reference>, or build: {path: <folder>})',
      "env.yaml:5:13: conda_file: conda_file can only be used with image; a build context installs its own packages (allowed: image with conda_file, or build without it)",
      'env.yaml:6:10: os_type: windows is not supported: envforge builds Linux images (found "windows"; allowed: "linux")',
      'env.yaml:7:1: colour: unknown key "colour" (allowed: $schema, apt, build, conda_file, description, image, inference_config, name, os_type, pip, platform, python, tags, variables, version)',
      'env.yaml:8:13: apt[1]: not a Debian package name (found "Bad Name"; allowed: a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", "."))',
      'env.yaml:10:7: variables["1X"]: not a valid environment variable name (found "1X"; allowed: letters, digits and _, not starting with a digit)',
      'env.yaml:11:11: platform: not an allowed value (found "win-64"; allowed: "linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "linux-armv7l")',
      expect.stringMatching(/^env\.yaml:13:5: pip\[0\]: /),
    ]);
  });

  it("gives a hint for conda content pasted at the top", () => {
    const text = "name: x\nchannels: [defaults]\ndependencies: [numpy]\nimage: debian\n";
    expect(problemsOf(text)).toEqual([
      'env.yaml:2:11: channels: this looks like a conda environment.yml; pass it with conda_file or use `envforge env create --file env.yml` directly (found a top-level "channels"; allowed: conda_file: <path or mapping>)',
      'env.yaml:3:15: dependencies: this looks like a conda environment.yml; pass it with conda_file or use `envforge env create --file env.yml` directly (found a top-level "dependencies"; allowed: conda_file: <path or mapping>)',
    ]);
  });

  it.each([
    [
      "neither image nor build",
      "name: x\n",
      'env.yaml:1:1: give exactly one of "image" and "build" (found neither; allowed: image: <reference>, or build: {path: <folder>})',
    ],
    [
      "a git build context",
      "build:\n  path: https://git.example.test/repo.git\n",
      'env.yaml:2:9: build.path: build.path must be a local folder; git and storage URLs are not supported (found "https://git.example.test/repo.git"; allowed: a folder path relative to this file)',
    ],
    [
      "a Dockerfile outside the context",
      "build:\n  path: ctx\n  dockerfile_path: ../Dockerfile\n",
      'env.yaml:3:20: build.dockerfile_path: the Dockerfile must be inside the build context: the path leads outside the build context (found "../Dockerfile"; allowed: a path relative to build.path, without ..)',
    ],
    [
      "a list instead of a mapping",
      "- image: debian\n",
      "env.yaml:1: expected a mapping of environment keys (name, image, conda_file, ...) (found a list)",
    ],
    [
      "a wrongly typed python section",
      "image: debian\npython:\n  user_managed_dependencies: maybe\n",
      'env.yaml:3:30: python.user_managed_dependencies: expected true or false (found "maybe"; allowed: true or false)',
    ],
  ])("refuses %s", (_what, text, message) => {
    expect(problemsOf(text)).toEqual([message]);
  });
});

describe("parseEnvforgeFile: envforge.yaml", () => {
  const ENVFORGE = `name: pytorch-train
image: 127.0.0.1:5000/envforge/debian:bookworm
conda_file: environment.yml
pip:
  - --extra-index-url https://pypi.example.test/simple
  - tqdm==4.66.4
apt: [libgomp1, curl=7.88.1-10+deb12u5]
variables:
  OMP_NUM_THREADS: 4
platform: linux-aarch64
python:
  interpreter_path: /opt/conda/bin/python
`;

  it("reads envforge's own keys and is of kind envforge", () => {
    const file = parse(ENVFORGE, "envforge.yaml");
    expect(file.kind).toBe("envforge");
    expect(file.apt).toEqual(["libgomp1", "curl=7.88.1-10+deb12u5"]);
    expect(file.variables).toEqual({ OMP_NUM_THREADS: "4" });
    expect(file.platform).toBe("linux-aarch64");
    expect(file.python).toEqual({ interpreterPath: "/opt/conda/bin/python" });
    expect(file.pip?.requirements.map((requirement) => requirement.requirement)).toEqual([
      "tqdm==4.66.4",
    ]);
    expect(file.pip?.extraIndexUrls).toEqual(["https://pypi.example.test/simple"]);
  });

  it("is envforge whatever the file name when it uses envforge keys", () => {
    expect(parse("image: debian\napt: [curl]\n", "my-env.yml").kind).toBe("envforge");
    expect(parse("image: debian\n", "envforge.yml").kind).toBe("envforge");
    expect(parse("image: debian\n", "azure.yml").kind).toBe("azureml-v2");
  });

  it("refuses envforge keys in a file read as Azure ML v2", () => {
    expect(() =>
      parseEnvforgeFile(
        { path: "azure.yml", text: "image: debian\napt: [curl]\n" },
        { kind: "azureml-v2" },
      ),
    ).toThrow(
      'azure.yml:2:6: apt: "apt" is an envforge key, not part of the Azure ML v2 environment YAML (allowed: read the file as envforge.yaml (kind envforge))',
    );
  });

  it("becomes a Definition once the conda file is read", () => {
    const file = parse(ENVFORGE, "envforge.yaml");
    const conda = {
      channels: ["defaults", "pytorch"],
      dependencies: ["pytorch", "torchvision"],
      pip: [],
      variables: {},
    };
    const definition = definitionFromEnvforgeFile(file, { conda }, SETTINGS);
    expect(definition).toMatchObject({
      kind: "envforge",
      name: "pytorch-train",
      base: {
        kind: "image",
        image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
        defaulted: false,
      },
      conda: { dependencies: ["pytorch", "torchvision", "python=3.10", "pip"] },
      apt: ["libgomp1", "curl=7.88.1-10+deb12u5"],
      platform: "linux-aarch64",
      python: { userManagedDependencies: false, interpreterPath: "/opt/conda/bin/python" },
    });
    expect(() => definitionFromEnvforgeFile(file, {}, SETTINGS)).toThrow(
      "envforge.yaml: conda_file: was not read",
    );
  });
});
