import { describe, expect, it } from "vitest";
import {
  assembleDefinition,
  definitionFromBuildContext,
  definitionFromConda,
  definitionFromDockerfile,
  definitionFromImage,
  definitionFromPip,
} from "./assemble-definition.js";
import type { CondaEnvironment, ParseSettings, PipRequirements } from "./definition.js";
import { problemsOf } from "../../test/support/problems.js";

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.10",
  defaultPlatform: "linux-64",
};

const PYTORCH_YAML = `# the seed's environment
name: pytorch
channels:
  - defaults
  - pytorch
dependencies:
  - python=3.7
  - pytorch
  - torchvision
`;

const PYTORCH: CondaEnvironment = {
  name: "pytorch",
  channels: ["defaults", "pytorch"],
  dependencies: ["python=3.7", "pytorch", "torchvision"],
  pip: [],
  variables: {},
  source: { path: "environment.yml", text: PYTORCH_YAML },
};

const NO_PYTHON_YAML = `channels: [conda-forge]
dependencies:
  - numpy  # keep me
  - pip:
      - requests
`;

const NO_PYTHON: CondaEnvironment = {
  channels: ["conda-forge"],
  dependencies: ["numpy"],
  pip: ["requests"],
  variables: {},
  source: { path: "env.yml", text: NO_PYTHON_YAML },
};

const PIP: PipRequirements = {
  requirements: [{ name: "numpy", requirement: "numpy==1.26.4", hashes: [] }],
  constraints: [],
  extraIndexUrls: [],
  findLinks: [],
  pre: false,
};

describe("definitionFromConda", () => {
  it("keeps a conda spec that names python and puts it on the default base image", () => {
    const definition = definitionFromConda({ conda: PYTORCH, name: "pytorch" }, SETTINGS);
    expect(definition).toEqual({
      kind: "conda",
      name: "pytorch",
      tags: {},
      base: {
        kind: "image",
        image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
        defaulted: true,
      },
      conda: PYTORCH,
      apt: [],
      variables: {},
      platform: "linux-64",
      python: { userManagedDependencies: false, interpreterPath: "python" },
    });
  });

  it("adds the default python, in the model and in the YAML as written", () => {
    const definition = definitionFromConda({ conda: NO_PYTHON }, SETTINGS);
    expect(definition.conda?.dependencies).toEqual(["numpy", "python=3.10"]);
    expect(definition.conda?.source?.text).toBe(`channels: [conda-forge]
dependencies:
  - numpy # keep me
  - python=3.10
  - pip:
      - requests
`);
  });

  it.each([
    ["conda-forge::python>=3.9", "python spec with a channel"],
    ["Python", "upper-case python"],
    ["python 3.8.*", "python with a space-separated version"],
  ])("does not add python when the spec has %s (%s)", (spec) => {
    const conda = { ...NO_PYTHON, dependencies: [spec], source: undefined };
    expect(definitionFromConda({ conda }, SETTINGS).conda?.dependencies).toEqual([spec]);
  });

  it("does not add python when python is user-managed", () => {
    expect(
      problemsOf(() =>
        assembleDefinition(
          { kind: "conda", conda: PYTORCH, python: { userManagedDependencies: true } },
          SETTINGS,
        ),
      ),
    ).toEqual([
      "python.user_managed_dependencies: Python is user-managed here, so conda dependencies would never be installed (allowed: user_managed_dependencies: false, or no conda dependencies (pip requirements are installed with the image's interpreter))",
    ]);
  });

  it("keeps pip requirements with user-managed Python, for the image's interpreter, and makes no conda env", () => {
    const definition = assembleDefinition(
      {
        kind: "envforge",
        pip: PIP,
        python: { userManagedDependencies: true, interpreterPath: "/usr/bin/python3" },
      },
      SETTINGS,
    );
    expect(definition.conda).toBeUndefined();
    expect(definition.pip).toEqual(PIP);
    expect(definition.python).toEqual({
      userManagedDependencies: true,
      interpreterPath: "/usr/bin/python3",
    });
  });
});

describe("definitionFromPip", () => {
  it("makes Azure's conda env with python and pip, and keeps the requirements", () => {
    const definition = definitionFromPip({ pip: PIP, pipVersion: "24.0" }, SETTINGS);
    expect(definition.kind).toBe("pip");
    expect(definition.conda).toEqual({
      channels: [],
      dependencies: ["python=3.10", "pip=24.0"],
      pip: [],
      variables: {},
    });
    expect(definition.pip).toBe(PIP);
    expect(definition.python.userManagedDependencies).toBe(false);
  });

  it("adds pip to a conda spec that pip requirements go into", () => {
    const definition = assembleDefinition({ kind: "envforge", conda: PYTORCH, pip: PIP }, SETTINGS);
    expect(definition.conda?.dependencies).toEqual(["python=3.7", "pytorch", "torchvision", "pip"]);
  });
});

describe("definitionFromImage and definitionFromDockerfile", () => {
  it("uses an image as it is, Python user-managed, when nothing is added", () => {
    const definition = definitionFromImage({ image: "registry.test/base:1" }, SETTINGS);
    expect(definition.base).toEqual({
      kind: "image",
      image: { registry: "registry.test", repository: "base", tag: "1" },
      defaulted: false,
    });
    expect(definition.conda).toBeUndefined();
    expect(definition.python).toEqual({ userManagedDependencies: true, interpreterPath: "python" });
  });

  it("puts a conda spec on a Dockerfile", () => {
    const definition = definitionFromDockerfile(
      { dockerfile: "FROM debian\n", conda: PYTORCH },
      SETTINGS,
    );
    expect(definition.base).toEqual({ kind: "dockerfile", dockerfile: "FROM debian\n" });
    expect(definition.conda).toBe(PYTORCH);
  });

  it("refuses conda and pip together, as Azure ML does", () => {
    expect(
      problemsOf(() =>
        definitionFromDockerfile(
          { dockerfile: "FROM debian\n", conda: PYTORCH, pip: PIP, origin: "Dockerfile" },
          SETTINGS,
        ),
      ),
    ).toEqual([
      "Dockerfile: give a conda specification or pip requirements, not both (allowed: conda (with a pip: list inside it if needed) or pip requirements)",
    ]);
  });

  it("refuses a bad image and an empty Dockerfile", () => {
    expect(problemsOf(() => definitionFromImage({ image: "Bad Image" }, SETTINGS))).toEqual([
      'image: not a valid image reference: the image reference contains whitespace (found "Bad Image"; allowed: [registry[:port]/]repository[:tag][@sha256:<64 hex>])',
    ]);
    expect(problemsOf(() => definitionFromDockerfile({ dockerfile: " \n" }, SETTINGS))).toEqual([
      "dockerfile: the Dockerfile is empty",
    ]);
  });
});

describe("definitionFromBuildContext", () => {
  it("keeps the context and leaves Python to it", () => {
    const context = {
      contextPath: "ctx",
      dockerfilePath: "Dockerfile",
      dockerfile: "FROM debian\n",
      files: [{ path: "Dockerfile", size: 12, sha256: "sha256:aa", mode: 0o644 }],
    };
    const definition = definitionFromBuildContext({ context, name: "ctx-env" }, SETTINGS);
    expect(definition.kind).toBe("build-context");
    expect(definition.base).toEqual({ kind: "build", ...context });
    expect(definition.python.userManagedDependencies).toBe(true);
  });
});

describe("assembleDefinition", () => {
  it("reports every bad apt name, variable and platform at once, naming the file", () => {
    expect(
      problemsOf(() =>
        assembleDefinition(
          {
            kind: "envforge",
            origin: "envforge.yaml",
            apt: ["curl", "libgomp1=12.2.0-14", "Bad", "x; rm -rf /", "a"],
            variables: { OK_1: "yes", "1BAD": "x", INJECT: "a\nRUN curl evil" },
            platform: "win-64",
          },
          SETTINGS,
        ),
      ),
    ).toEqual([
      'envforge.yaml: apt[2]: not a Debian package name (found "Bad"; allowed: a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", "."))',
      'envforge.yaml: apt[3]: not a Debian package name (found "x; rm -rf /"; allowed: a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", "."))',
      'envforge.yaml: apt[4]: not a Debian package name (found "a"; allowed: a name such as "libgomp1" or "curl=7.88.1-10+deb12u5" (lower case, digits, "+", "-", "."))',
      'envforge.yaml: variables["1BAD"]: not a valid environment variable name (found "1BAD"; allowed: letters, digits and _, not starting with a digit)',
      'envforge.yaml: variables.INJECT: an environment variable value cannot contain a line break or NUL (found "a\\nRUN curl evil")',
      'envforge.yaml: platform: not a supported platform (found "win-64"; allowed: linux-64, linux-aarch64, linux-ppc64le, linux-s390x, linux-armv7l)',
    ]);
  });

  it("makes a python-only env when Python is explicitly not user-managed", () => {
    const definition = assembleDefinition(
      { kind: "envforge", python: { userManagedDependencies: false } },
      SETTINGS,
    );
    expect(definition.conda?.dependencies).toEqual(["python=3.10"]);
  });

  it("fails on a bad configured default base image", () => {
    expect(
      problemsOf(() =>
        assembleDefinition({ kind: "envforge" }, { ...SETTINGS, defaultBaseImage: "UPPER" }),
      ),
    ).toEqual([
      'defaultBaseImage: the configured default base image is not valid: repository path component "UPPER" is not valid (found "UPPER")',
    ]);
  });
});
