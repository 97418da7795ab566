import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../errors/index.js";
import { CondaDependencies } from "./conda-dependencies.js";

const COMMENTED = `# Training environment for the demo model.
name: demo # shown in conda env list

channels:
  - conda-forge # first: wins ties
  - defaults
dependencies:
  # The interpreter.
  - python=3.9 # keep in step with the base image
  - numpy>=1.22
  - "scipy"

  # Everything pip installs.
  - pip:
      - --index-url http://127.0.0.1:8080/simple
      - requests==2.28.0 # http client
      - Flask_Cors
variables:
  OMP_NUM_THREADS: "1"
`;

function load(text: string = COMMENTED): CondaDependencies {
  return CondaDependencies.fromText(text, { path: "env.yml" });
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  }
  return "no error";
}

describe("round trip", () => {
  it.each([
    ["commented, indented sequences", COMMENTED],
    [
      "unindented sequences",
      "name: x\nchannels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip:\n  - requests\n",
    ],
    ["four-space indent", "dependencies:\n    - python=3.10\n    - numpy # why\n"],
    ["quoted values", "dependencies:\n  - 'python=3.10'\n  - \"numpy >=1.2\"\n"],
  ])("serializes an unedited file unchanged (%s)", (_label, text) => {
    expect(load(text).serializeToString()).toBe(text);
  });

  it("keeps comments, blank lines and order through edits", () => {
    const spec = load();
    spec.setPythonVersion("3.10");
    spec.addCondaPackage("pandas=2.1");
    spec.addCondaPackage("numpy>=1.24");
    spec.removeCondaPackage("scipy");
    spec.addChannel("bioconda");
    spec.removeChannel("defaults");
    spec.addPipPackage("requests>=2.31");
    spec.addPipPackage("tqdm");
    spec.setPipOption("--index-url http://127.0.0.1:9090/simple");
    spec.setPipOption("--pre");
    expect(spec.serializeToString()).toBe(`# Training environment for the demo model.
name: demo # shown in conda env list

channels:
  - conda-forge # first: wins ties
  - bioconda
dependencies:
  # The interpreter.
  - python=3.10 # keep in step with the base image
  - numpy>=1.24
  - pandas=2.1

  # Everything pip installs.
  - pip:
      - --index-url http://127.0.0.1:9090/simple
      - requests>=2.31 # http client
      - Flask_Cors
      - tqdm
      - --pre
variables:
  OMP_NUM_THREADS: "1"
`);
  });

  it("keeps the unindented style of a file when adding", () => {
    const spec = load("dependencies:\n- python=3.10\n- pip:\n  - a\n");
    spec.addPipPackage("b");
    spec.addChannel("conda-forge");
    expect(spec.serializeToString()).toBe(
      "channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip:\n  - a\n  - b\n",
    );
  });
});

describe("create", () => {
  it("writes python, conda packages, then the pip list with the index option first", () => {
    const spec = CondaDependencies.create({
      pythonVersion: "3.10",
      condaPackages: ["numpy>=1.24", "conda-forge::pandas"],
      pipPackages: ["requests==2.31.0"],
      pipIndexUrl: "http://127.0.0.1:8080/simple",
    });
    expect(spec.serializeToString()).toBe(`name: project_environment
dependencies:
  - python=3.10
  - numpy>=1.24
  - conda-forge::pandas
  - pip:
      - --index-url http://127.0.0.1:8080/simple
      - requests==2.31.0
`);
  });

  it("adds nothing the caller did not ask for", () => {
    expect(CondaDependencies.create().serializeToString()).toBe("name: project_environment\n");
  });

  it("validates what it is given", () => {
    expect(messageOf(() => CondaDependencies.create({ condaPackages: ["numpy>>1"] }))).toBe(
      'ValidationError: dependencies: not a valid match spec: version spec ">>1" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1"; allowed: e.g. "numpy>=1")',
    );
  });
});

describe("getters", () => {
  it("read channels, conda packages, pip packages and pip options", () => {
    const spec = load();
    expect(spec.condaChannels).toEqual(["conda-forge", "defaults"]);
    expect(spec.condaPackages).toEqual(["python=3.9", "numpy>=1.22", "scipy"]);
    expect(spec.pipPackages).toEqual(["requests==2.28.0", "Flask_Cors"]);
    expect(spec.pipOptions).toEqual(["--index-url http://127.0.0.1:8080/simple"]);
  });

  it("return copies", () => {
    const spec = load();
    spec.condaChannels.push("x");
    spec.condaPackages.pop();
    spec.pipPackages.pop();
    spec.pipOptions.pop();
    expect(spec.serializeToString()).toBe(COMMENTED);
  });

  it("are empty for a file with only a name", () => {
    const spec = load("name: x\n");
    expect([spec.condaChannels, spec.condaPackages, spec.pipPackages, spec.pipOptions]).toEqual([
      [],
      [],
      [],
      [],
    ]);
  });
});

describe("python version", () => {
  it.each([
    ["python=3.9", "3.9"],
    ["python==3.10.4", "3.10.4"],
    ["python 3.10.*", "3.10"],
    ["python>=3.8,<3.12", ">=3.8,<3.12"],
    ["conda-forge::python=3.11", "3.11"],
    ["python", undefined],
    ["python-dateutil=2.8", undefined],
  ])("getPythonVersion of %s is %s", (dependency, version) => {
    expect(load(`dependencies:\n  - ${dependency}\n`).getPythonVersion()).toBe(version);
  });

  it("setPythonVersion replaces in place, keeping the comment and the channel", () => {
    const spec = load("dependencies:\n  - numpy\n  - conda-forge::python=3.9 # why\n");
    spec.setPythonVersion("3.11");
    expect(spec.serializeToString()).toBe(
      "dependencies:\n  - numpy\n  - conda-forge::python=3.11 # why\n",
    );
    expect(spec.getPythonVersion()).toBe("3.11");
  });

  it("setPythonVersion adds python before the pip item when there is none", () => {
    const spec = load("dependencies:\n  - numpy\n  - pip:\n      - requests\n");
    spec.setPythonVersion("3.10");
    expect(spec.condaPackages).toEqual(["numpy", "python=3.10"]);
    expect(spec.serializeToString()).toBe(
      "dependencies:\n  - numpy\n  - python=3.10\n  - pip:\n      - requests\n",
    );
  });

  it.each(["3.x", ">=3.8", "", "three", "3.10=h1"])("setPythonVersion rejects %j", (version) => {
    expect(messageOf(() => load().setPythonVersion(version))).toBe(
      `ValidationError: python: not a valid python version (found ${JSON.stringify(version)}; allowed: a version such as "3.10" or "3.10.12")`,
    );
  });
});

describe("conda packages", () => {
  it.each([
    ["appends a new package", "pandas", ["python=3.9", "numpy>=1.22", "scipy", "pandas"]],
    ["replaces the same package in place", "NumPy<2", ["python=3.9", "NumPy<2", "scipy"]],
    ["skips an identical entry", "scipy", ["python=3.9", "numpy>=1.22", "scipy"]],
    ["replaces python", "python>=3.10", ["python>=3.10", "numpy>=1.22", "scipy"]],
  ])("addCondaPackage %s", (_label, added, expected) => {
    const spec = load();
    spec.addCondaPackage(added);
    expect(spec.condaPackages).toEqual(expected);
  });

  it("addCondaPackage creates the dependencies list", () => {
    const spec = load("name: x\nvariables:\n  A: b\n");
    spec.addCondaPackage("numpy");
    expect(spec.serializeToString()).toBe(
      "name: x\ndependencies:\n  - numpy\nvariables:\n  A: b\n",
    );
  });

  it.each([
    [
      "numpy>>1.2",
      'ValidationError: dependencies: not a valid match spec: version spec ">>1.2" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1.2"; allowed: e.g. "numpy>=1.2")',
    ],
    [
      "",
      'ValidationError: dependencies: not a valid match spec: a match spec must not be empty (found ""; allowed: e.g. "numpy>=1.2")',
    ],
    [
      "numpy\nRUN rm -rf /",
      'ValidationError: dependencies: not a valid match spec: a match spec must be one line: it contains a line break (found "numpy\\nRUN rm -rf /"; allowed: e.g. "numpy>=1.2")',
    ],
  ])("addCondaPackage rejects %j", (added, message) => {
    const spec = load();
    expect(messageOf(() => spec.addCondaPackage(added))).toBe(message);
    expect(spec.serializeToString()).toBe(COMMENTED);
  });

  it.each([
    ["an exact spec", "numpy>=1.22", true, ["python=3.9", "scipy"]],
    ["every entry of a bare name", "NUMPY", true, ["python=3.9", "scipy"]],
    ["nothing for another version", "numpy>=2", false, ["python=3.9", "numpy>=1.22", "scipy"]],
    ["nothing when absent", "pandas", false, ["python=3.9", "numpy>=1.22", "scipy"]],
  ])("removeCondaPackage removes %s", (_label, removed, result, expected) => {
    const spec = load();
    expect(spec.removeCondaPackage(removed)).toBe(result);
    expect(spec.condaPackages).toEqual(expected);
  });

  it.each(["python", "python=3.9"])("removeCondaPackage refuses %s", (removed) => {
    expect(messageOf(() => load().removeCondaPackage(removed))).toBe(
      `ValidationError: dependencies: python must not be removed from conda dependencies (found "${removed}")`,
    );
  });
});

describe("pip packages", () => {
  it.each([
    ["appends a new project", "tqdm", ["requests==2.28.0", "Flask_Cors", "tqdm"]],
    [
      "replaces by normalised name, in place",
      "flask-cors>=4",
      ["requests==2.28.0", "flask-cors>=4"],
    ],
    ["skips an identical entry", "Flask_Cors", ["requests==2.28.0", "Flask_Cors"]],
    [
      "accepts markers and extras",
      "uvicorn[standard]>=0.23; python_version >= '3.8'",
      ["requests==2.28.0", "Flask_Cors", "uvicorn[standard]>=0.23; python_version >= '3.8'"],
    ],
    [
      "accepts a hash option after the requirement",
      "tqdm==4.66.1 --hash=sha256:d302b3c5b53d47bce91fea46679d9c3c6508cf6332229aa1e7d8653723793386",
      [
        "requests==2.28.0",
        "Flask_Cors",
        "tqdm==4.66.1 --hash=sha256:d302b3c5b53d47bce91fea46679d9c3c6508cf6332229aa1e7d8653723793386",
      ],
    ],
    [
      "names a wheel URL by its file",
      "http://127.0.0.1:8080/files/requests-2.31.0-py3-none-any.whl",
      ["http://127.0.0.1:8080/files/requests-2.31.0-py3-none-any.whl", "Flask_Cors"],
    ],
    [
      "names a VCS URL by its egg",
      "git+http://127.0.0.1/repo.git#egg=Flask-Cors",
      ["requests==2.28.0", "git+http://127.0.0.1/repo.git#egg=Flask-Cors"],
    ],
  ])("addPipPackage %s", (_label, added, expected) => {
    const spec = load();
    spec.addPipPackage(added);
    expect(spec.pipPackages).toEqual(expected);
    expect(spec.pipOptions).toEqual(["--index-url http://127.0.0.1:8080/simple"]);
  });

  it("addPipPackage keeps the replaced entry's comment", () => {
    const spec = load();
    spec.addPipPackage("requests==2.31.0");
    expect(spec.serializeToString()).toContain("      - requests==2.31.0 # http client\n");
  });

  it("addPipPackage creates the pip item at the end of the dependencies", () => {
    const spec = load("dependencies:\n  - python=3.10 # py\n");
    spec.addPipPackage("requests");
    expect(spec.serializeToString()).toBe(
      "dependencies:\n  - python=3.10 # py\n  - pip:\n      - requests\n",
    );
  });

  it.each([
    [
      "-e .",
      'ValidationError: pip: a pip package must not start with "-"; pip options are set with setPipOption (found "-e .")',
    ],
    [
      "numpy=1.2",
      'ValidationError: pip: not a valid pip requirement: pip pins versions with "==", not "=" (found "numpy=1.2"; allowed: e.g. "numpy==1.2")',
    ],
    [
      "numpy>>1.2",
      'ValidationError: pip: not a valid pip requirement: it is not a PEP 508 requirement at column 7: expected "!", "+", "*", ".", "_", "-", or an alpha-numeric character (found "numpy>>1.2"; allowed: e.g. "requests>=2.31")',
    ],
    ["", 'ValidationError: pip: not a valid pip requirement: it is empty (found "")'],
    [
      "requests\n--index-url http://127.0.0.1/x",
      'ValidationError: pip: not a valid pip requirement: it spans more than one line (found "requests\\n--index-url http://127.0.0.1/x")',
    ],
  ])("addPipPackage rejects %j", (added, message) => {
    const spec = load();
    expect(messageOf(() => spec.addPipPackage(added))).toBe(message);
    expect(spec.serializeToString()).toBe(COMMENTED);
  });

  it.each([
    ["flask-cors", true, ["requests==2.28.0"]],
    ["REQUESTS>=3", true, ["Flask_Cors"]],
    ["tqdm", false, ["requests==2.28.0", "Flask_Cors"]],
  ])("removePipPackage %s", (removed, result, expected) => {
    const spec = load();
    expect(spec.removePipPackage(removed)).toBe(result);
    expect(spec.pipPackages).toEqual(expected);
    expect(spec.pipOptions).toEqual(["--index-url http://127.0.0.1:8080/simple"]);
  });
});

describe("pip options", () => {
  it.each([
    [
      "replaces an option with the same first word",
      "--index-url=http://127.0.0.1:9/simple",
      ["--index-url=http://127.0.0.1:9/simple"],
    ],
    [
      "appends another option",
      "--extra-index-url http://127.0.0.1:9/simple",
      ["--index-url http://127.0.0.1:8080/simple", "--extra-index-url http://127.0.0.1:9/simple"],
    ],
  ])("setPipOption %s", (_label, option, expected) => {
    const spec = load();
    spec.setPipOption(option);
    expect(spec.pipOptions).toEqual(expected);
    expect(spec.pipPackages).toEqual(["requests==2.28.0", "Flask_Cors"]);
  });

  it.each(["requests", "-", "--pre\n-r other.txt"])("setPipOption rejects %j", (option) => {
    expect(messageOf(() => load().setPipOption(option))).toBe(
      `ValidationError: pip: a pip option must be one line starting with "-" (found ${JSON.stringify(option)}; allowed: e.g. "--index-url http://127.0.0.1:8080/simple")`,
    );
  });

  it("removePipOption removes by first word", () => {
    const spec = load();
    expect(spec.removePipOption("--index-url")).toBe(true);
    expect(spec.removePipOption("--pre")).toBe(false);
    expect(spec.pipOptions).toEqual([]);
    expect(spec.pipPackages).toEqual(["requests==2.28.0", "Flask_Cors"]);
  });
});

describe("channels", () => {
  it("addChannel appends once", () => {
    const spec = load();
    spec.addChannel("bioconda");
    spec.addChannel("bioconda");
    spec.addChannel("conda-forge");
    expect(spec.condaChannels).toEqual(["conda-forge", "defaults", "bioconda"]);
  });

  it("addChannel creates the list before dependencies", () => {
    const spec = load("name: x\ndependencies:\n  - python=3.10\n");
    spec.addChannel("http://127.0.0.1:8000/channel");
    expect(spec.serializeToString()).toBe(
      "name: x\nchannels:\n  - http://127.0.0.1:8000/channel\ndependencies:\n  - python=3.10\n",
    );
  });

  it.each(["", "conda forge"])("addChannel rejects %j", (channel) => {
    expect(messageOf(() => load().addChannel(channel))).toBe(
      `ValidationError: channels: a channel must be one word with no spaces (found ${JSON.stringify(channel)}; allowed: a channel name or URL, e.g. "conda-forge")`,
    );
  });

  it("removeChannel says whether the channel was there", () => {
    const spec = load();
    expect(spec.removeChannel("defaults")).toBe(true);
    expect(spec.removeChannel("defaults")).toBe(false);
    expect(spec.condaChannels).toEqual(["conda-forge"]);
  });
});

describe("fromText validation", () => {
  it.each([
    [
      "an unknown top-level key",
      "name: x\nbuild: gpu\ndependencies:\n  - python=3.10\n",
      'env.yml:2:1: build: unknown key "build" (allowed: channels, dependencies, name, prefix, variables)',
    ],
    [
      "every bad dependency at once, with positions",
      "dependencies:\n  - python=3.10\n  - numpy>>1.2\n  - pip:\n      - requests=2.0\n",
      [
        'env.yml:3:5: dependencies[1]: not a valid match spec: version spec ">>1.2" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1.2"; allowed: e.g. "numpy>=1.2")',
        'env.yml:5:9: dependencies[2].pip[0]: not a valid pip requirement: pip pins versions with "==", not "=" (found "requests=2.0"; allowed: e.g. "requests==2.0")',
      ].join("\n"),
    ],
    [
      "shape and spec problems together",
      "channels: conda-forge\ndependencies:\n  - numpy>=\n",
      [
        'env.yml:1:11: channels: expected a list (found "conda-forge"; allowed: a list)',
        'env.yml:3:5: dependencies[0]: not a valid match spec: version spec ">=" is not valid: operator ">=" needs a version after it (found "numpy>="; allowed: e.g. "numpy>=1.0")',
      ].join("\n"),
    ],
    [
      "an unknown key in a dependency mapping",
      "dependencies:\n  - conda: [numpy]\n",
      'env.yml:2:5: dependencies[0].conda: unknown key "conda" (allowed: pip)',
    ],
    [
      "an empty file",
      "# nothing here\n",
      "env.yml: the conda environment file is empty (allowed: a mapping with keys name, channels, dependencies, variables, prefix)",
    ],
    ["a YAML syntax error", "dependencies: [numpy\n", /^env\.yml:2:1: invalid YAML: /],
  ])("reports %s", (_label, text, message) => {
    const error = (() => {
      try {
        load(text);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    if (typeof message === "string") expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  });

  it("accepts null lists and scalar variables", () => {
    const spec = load("name: x\nchannels:\ndependencies:\nvariables:\n  A: 1\n  B: true\n");
    expect(spec.toCondaEnvironment()).toEqual({
      name: "x",
      channels: [],
      dependencies: [],
      pip: [],
      variables: { A: "1", B: "true" },
      source: {
        path: "env.yml",
        text: "name: x\nchannels:\ndependencies:\nvariables:\n  A: 1\n  B: true\n",
      },
    });
  });
});

describe("CondaEnvironment", () => {
  it("toCondaEnvironment gives plain data and the current text", () => {
    const spec = load();
    spec.addPipPackage("tqdm");
    const env = spec.toCondaEnvironment();
    expect(env).toEqual({
      name: "demo",
      channels: ["conda-forge", "defaults"],
      dependencies: ["python=3.9", "numpy>=1.22", "scipy"],
      pip: ["--index-url http://127.0.0.1:8080/simple", "requests==2.28.0", "Flask_Cors", "tqdm"],
      variables: { OMP_NUM_THREADS: "1" },
      source: { path: "env.yml", text: spec.serializeToString() },
    });
  });

  it("fromEnvironment uses the source text, so comments survive", () => {
    const env = load().toCondaEnvironment();
    expect(CondaDependencies.fromEnvironment(env).serializeToString()).toBe(COMMENTED);
  });

  it("fromEnvironment without source writes the data", () => {
    const spec = CondaDependencies.fromEnvironment({
      name: "x",
      channels: ["conda-forge"],
      dependencies: ["python=3.10", "numpy"],
      pip: ["--pre", "requests"],
      variables: { A: "1" },
      prefix: "/opt/env",
    });
    expect(spec.serializeToString()).toBe(`name: x
channels:
  - conda-forge
dependencies:
  - python=3.10
  - numpy
  - pip:
      - --pre
      - requests
variables:
  A: "1"
prefix: /opt/env
`);
  });

  it("fromEnvironment without source still validates", () => {
    expect(
      messageOf(() =>
        CondaDependencies.fromEnvironment({
          channels: [],
          dependencies: ["numpy>>1"],
          pip: [],
          variables: {},
        }),
      ),
    ).toBe(
      'ValidationError: dependencies[0]: not a valid match spec: version spec ">>1" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1"; allowed: e.g. "numpy>=1")',
    );
  });
});

describe("load and save", () => {
  let folder = "";
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), "envforge-conda-deps-"));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("saves edits atomically and loads them back", async () => {
    const path = join(folder, "env.yml");
    await writeFile(path, COMMENTED);
    const spec = await CondaDependencies.load(path);
    spec.addCondaPackage("pandas");
    await spec.save(path);
    expect(await readFile(path, "utf8")).toBe(spec.serializeToString());
    expect(await readdir(folder)).toEqual(["env.yml"]);
    expect((await CondaDependencies.load(path)).condaPackages).toContain("pandas");
  });

  it("load says when the file does not exist", async () => {
    const path = join(folder, "missing.yml");
    await expect(CondaDependencies.load(path)).rejects.toThrow(
      new NotFoundError(`conda environment file "${path}" does not exist`),
    );
  });

  it("save keeps the permissions of the file it replaces and remembers the path", async () => {
    const path = join(folder, "env.yml");
    await writeFile(path, COMMENTED, { mode: 0o600 });
    const spec = load();
    await spec.save(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(spec.toCondaEnvironment().source?.path).toBe(path);
  });

  it("load says when the path is a folder", async () => {
    await expect(CondaDependencies.load(folder)).rejects.toThrow(
      `conda environment file "${folder}" is a folder (allowed: a file such as "${join(folder, "environment.yml")}")`,
    );
  });

  it("load reports problems with the file path", async () => {
    const path = join(folder, "env.yml");
    await writeFile(path, "name: x\nfoo: 1\n");
    await expect(CondaDependencies.load(path)).rejects.toThrow(
      `${path}:2:1: foo: unknown key "foo" (allowed: channels, dependencies, name, prefix, variables)`,
    );
  });

  it("save refuses a specification without python", async () => {
    const spec = load("dependencies:\n  - numpy\n");
    await expect(spec.save(join(folder, "env.yml"))).rejects.toThrow(
      'env.yml: dependencies: Python package is missing. (allowed: a python entry such as "python=3.10" (setPythonVersion))',
    );
    expect(await readdir(folder)).toEqual([]);
  });

  it("save needs an existing folder", async () => {
    const path = join(folder, "nope", "env.yml");
    await expect(load().save(path)).rejects.toThrow(
      new NotFoundError(`cannot save "${path}": folder "${join(folder, "nope")}" does not exist`),
    );
  });

  it("save refuses a folder as the target", async () => {
    await expect(load().save(folder)).rejects.toThrow(
      `cannot save to "${folder}": it is a folder (allowed: a file path such as "${join(folder, "environment.yml")}")`,
    );
  });
});
