import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ValidationError, formatProblem } from "../errors/index.js";
import { parseCondaEnvironment } from "./conda-environment.js";

function fixture(name: string) {
  const path = `conda/${name}`;
  const text = readFileSync(
    fileURLToPath(new URL(`./__fixtures__/${path}`, import.meta.url)),
    "utf8",
  );
  return { path, text };
}

function parse(text: string) {
  return parseCondaEnvironment({ path: "env.yml", text });
}

function messagesOf(text: string, path = "env.yml"): string[] {
  try {
    parseCondaEnvironment({ path, text });
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

const SPEC_ALLOWED = 'allowed: a conda match spec such as "numpy>=1.2"';
const CHANNEL_ALLOWED =
  'allowed: a channel name such as "conda-forge" or "nvidia/label/cuda-12.1.0", an http(s):// or file:// URL, or an absolute path';
const KEYS_ALLOWED = "allowed: channels, dependencies, name, prefix, variables";

describe("parseCondaEnvironment: accepted files", () => {
  it("a PyTorch GPU environment", () => {
    const source = fixture("pytorch-gpu.yml");
    expect(parseCondaEnvironment(source)).toEqual({
      name: "pytorch-gpu",
      channels: ["pytorch", "nvidia/label/cuda-12.1.0", "conda-forge", "nodefaults"],
      dependencies: [
        "python=3.11",
        "pytorch::pytorch=2.3.1=py3.11_cuda12.1*",
        "pytorch::torchvision=0.18.1",
        "pytorch-cuda=12.1",
        "numpy>=1.24,<2",
        "pillow",
        "pip",
      ],
      pip: [
        "--extra-index-url https://packages.example/simple",
        "lightning==2.3.3",
        "timm>=1.0 --hash=sha256:8a5d6b7e0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e",
        'wandb ; sys_platform == "linux"',
      ],
      // Scalars become strings as written: 2.30 stays "2.30", true stays "true".
      variables: {
        CUDA_MODULE_LOADING: "LAZY",
        OMP_NUM_THREADS: "8",
        NCCL_P2P_DISABLE: "true",
        TORCH_VERSION_HINT: "2.30",
      },
      source,
    });
  });

  it("an Azure ML conda_dependencies.yml with comments and unindented lists", () => {
    const parsed = parseCondaEnvironment(fixture("azureml-conda-dependencies.yml"));
    expect(parsed.name).toBe("project_environment");
    expect(parsed.channels).toEqual(["anaconda", "conda-forge"]);
    expect(parsed.dependencies).toEqual(["python=3.8.13"]);
    expect(parsed.pip).toEqual(["azureml-defaults", "scikit-learn==1.0.2"]);
    expect(parsed.variables).toEqual({});
    expect(parsed.source?.text).toContain("# The python interpreter version.");
  });

  it.each<[string, string, object]>([
    [
      "only dependencies",
      "dependencies: [numpy]\n",
      { channels: [], dependencies: ["numpy"], pip: [], variables: {} },
    ],
    [
      "empty lists and a prefix",
      "name: x\nchannels:\ndependencies:\nvariables:\nprefix: /opt/conda/envs/x\n",
      {
        name: "x",
        channels: [],
        dependencies: [],
        pip: [],
        variables: {},
        prefix: "/opt/conda/envs/x",
      },
    ],
    [
      "an empty pip list",
      "dependencies:\n  - pip\n  - pip:\n",
      { channels: [], dependencies: ["pip"], pip: [], variables: {} },
    ],
    [
      "trims items",
      "channels: ['  conda-forge ']\ndependencies: [' numpy ']\n",
      { channels: ["conda-forge"], dependencies: ["numpy"], pip: [], variables: {} },
    ],
    [
      "channel URLs and paths",
      "channels:\n  - https://conda.example/channel\n  - file:///srv/channel\n  - /srv/local-channel\n",
      {
        channels: ["https://conda.example/channel", "file:///srv/channel", "/srv/local-channel"],
        dependencies: [],
        pip: [],
        variables: {},
      },
    ],
  ])("%s", (_label, text, expected) => {
    expect(parse(text)).toEqual({ ...expected, source: { path: "env.yml", text } });
  });
});

describe("parseCondaEnvironment: errors (pinned messages)", () => {
  it.each<[string, string, string[]]>([
    [
      "an invalid match spec",
      "dependencies:\n  - python=3.10\n  - numpy>>1.2\n",
      [
        `env.yml:3:5: dependencies[1]: not a valid match spec: version spec ">>1.2" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1.2"; ${SPEC_ALLOWED})`,
      ],
    ],
    [
      "a dependency with a line break",
      'dependencies:\n  - "numpy\\nRUN curl x"\n',
      [
        `env.yml:2:5: dependencies[0]: a dependency cannot contain a line break (found "numpy\\nRUN curl x"; ${SPEC_ALLOWED})`,
      ],
    ],
    [
      "an unknown top-level key",
      "name: x\nversion: 1\ndependencies: [numpy]\n",
      [`env.yml:2:1: version: unknown key "version" (${KEYS_ALLOWED})`],
    ],
    [
      "an unknown installer mapping",
      "dependencies:\n  - numpy\n  - npm: [left-pad]\n",
      ['env.yml:3:5: dependencies[1].npm: unknown key "npm" (allowed: pip)'],
    ],
    [
      "a second pip list",
      "dependencies:\n  - pip: [a]\n  - pip: [b]\n",
      [
        "env.yml:3:5: dependencies[1]: a second pip: list (the first is dependencies[0]) (allowed: one pip: list holding every pip requirement)",
      ],
    ],
    [
      "an editable pip entry",
      "dependencies:\n  - pip:\n      - -e .\n",
      [
        'env.yml:3:9: dependencies[0].pip[0]: editable installs are not reproducible in an image (found "-e ."; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      ],
    ],
    [
      "a local pip path",
      "dependencies:\n  - pip:\n      - numpy\n      - ./pkg\n",
      [
        'env.yml:4:9: dependencies[0].pip[1]: local paths cannot be used: the image build cannot see your disk; publish the package to an index or put it in a build context (found "./pkg"; allowed: a PEP 508 requirement such as "numpy>=1.2" or a pip option)',
      ],
    ],
    [
      "a pip include",
      "dependencies:\n  - pip:\n      - -r requirements.txt\n",
      [
        'env.yml:3:9: dependencies[0].pip[0]: includes (-r, -c) cannot be used in a list: list the requirements instead (found "-r requirements.txt")',
      ],
    ],
    [
      "channels with other schemes, spaces or a password",
      "channels:\n  - s3://bucket/ch\n  - bad channel\n  - https://u:pw@conda.example/ch\n  - 'https://['\n",
      [
        `env.yml:2:5: channels[0]: not a channel URL envforge can read (found "s3://bucket/ch"; ${CHANNEL_ALLOWED})`,
        `env.yml:3:5: channels[1]: a channel cannot contain spaces or line breaks (found "bad channel"; ${CHANNEL_ALLOWED})`,
        `env.yml:5:5: channels[3]: not a valid URL (found "https://["; ${CHANNEL_ALLOWED})`,
      ],
    ],
    [
      "a relative channel path",
      "channels:\n  - ./local-channel\n",
      [
        `env.yml:2:5: channels[0]: a channel path must be absolute: a relative one means nothing inside the build (found "./local-channel"; ${CHANNEL_ALLOWED})`,
      ],
    ],
    [
      "a bad environment name",
      "name: my env\n",
      [
        'env.yml:1:7: name: not a valid conda environment name (found "my env"; allowed: a name without spaces, "/", "\\", ":", "#" or "!", such as "pytorch")',
      ],
    ],
    [
      "bad variables",
      'variables:\n  OK: 1\n  9LIVES: x\n  EMPTY:\n  NESTED: {a: 1}\n  BREAK: "a\\nRUN x"\n',
      [
        'env.yml:3:3: variables["9LIVES"]: not a valid environment variable name (found "9LIVES"; allowed: letters, digits and _, not starting with a digit)',
        'env.yml:4:3: variables.EMPTY: a variable needs a value (found an empty value; allowed: a string, number or boolean; write "" for an empty string)',
        "env.yml:5:11: variables.NESTED: expected a string or a number or true or false or an empty value (found a mapping; allowed: a string or a number or true or false or an empty value)",
        'env.yml:6:10: variables.BREAK: an environment variable value cannot contain a line break or NUL (found "a\\nRUN x")',
      ],
    ],
    [
      "wrong types",
      "name: [x]\nchannels: conda-forge\ndependencies:\n  - numpy\n  - 3\n",
      [
        "env.yml:1:7: name: expected a string (found a list; allowed: a string)",
        'env.yml:2:11: channels: expected a list (found "conda-forge"; allowed: a list)',
        "env.yml:5:5: dependencies[1]: expected a string or a mapping (found 3; allowed: a string or a mapping)",
      ],
    ],
    [
      "not a mapping",
      "- numpy\n- scipy\n",
      ["env.yml:1:1: expected a mapping (found a list; allowed: a mapping)"],
    ],
    [
      "an empty file",
      "# nothing here\n",
      [
        "env.yml: the file is empty (allowed: a mapping with name, channels, dependencies, variables or prefix)",
      ],
    ],
    [
      "a YAML syntax error",
      "dependencies:\n  - numpy\n - scipy\n",
      [
        "env.yml:3:1: invalid YAML: A block sequence may not be used as an implicit map key",
        "env.yml:3:2: invalid YAML: Implicit keys need to be on a single line",
        "env.yml:3:2: invalid YAML: Implicit map keys need to be followed by map values",
      ],
    ],
  ])("%s", (_label, text, expected) => {
    expect(messagesOf(text)).toEqual(expected);
  });

  it("reports every problem of a broken file at once, in file order", () => {
    const { path, text } = fixture("broken.yml");
    expect(messagesOf(text, path)).toEqual([
      'conda/broken.yml:1:7: name: not a valid conda environment name (found "broken env"; allowed: a name without spaces, "/", "\\", ":", "#" or "!", such as "pytorch")',
      `conda/broken.yml:4:5: channels[1]: not a channel URL envforge can read (found "s3://bucket/channel"; ${CHANNEL_ALLOWED})`,
      `conda/broken.yml:5:5: channels[2]: a channel cannot contain spaces or line breaks (found "bad channel"; ${CHANNEL_ALLOWED})`,
      `conda/broken.yml:8:5: dependencies[1]: not a valid match spec: version spec ">>1.2" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =) (found "numpy>>1.2"; ${SPEC_ALLOWED})`,
      "conda/broken.yml:9:5: dependencies[2]: expected a string or a mapping (found 42; allowed: a string or a mapping)",
      'conda/broken.yml:11:9: dependencies[3].pip[0]: editable installs are not reproducible in an image (found "-e ./src"; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      'conda/broken.yml:12:9: dependencies[3].pip[1]: local paths cannot be used: the image build cannot see your disk; publish the package to an index or put it in a build context (found "./local-pkg"; allowed: a PEP 508 requirement such as "numpy>=1.2" or a pip option)',
      "conda/broken.yml:14:5: dependencies[4]: a second pip: list (the first is dependencies[3]) (allowed: one pip: list holding every pip requirement)",
      'conda/broken.yml:18:3: variables["1BAD"]: not a valid environment variable name (found "1BAD"; allowed: letters, digits and _, not starting with a digit)',
      'conda/broken.yml:19:3: variables.EMPTY: a variable needs a value (found an empty value; allowed: a string, number or boolean; write "" for an empty string)',
      `conda/broken.yml:20:1: extras: unknown key "extras" (${KEYS_ALLOWED})`,
    ]);
  });

  it("never shows a channel password", () => {
    const messages = messagesOf("channels:\n  - https://u:topsecret@conda.example/ bad\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).not.toContain("topsecret");
  });
});
