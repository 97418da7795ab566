import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError, formatProblem } from "../errors/index.js";
import type { SourceText } from "./definition.js";
import {
  checkPipRequirementLines,
  parsePipRequirements,
  pipRequirementsFromLines,
  redactUrl,
} from "./pip-requirements.js";

const FIXTURES = fileURLToPath(new URL("./__fixtures__/pip", import.meta.url));

/** Every fixture file keyed by its POSIX path relative to the fixtures folder. */
function fixtureFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(FIXTURES, full).split("\\").join("/"), readFileSync(full, "utf8"));
    }
  };
  walk(FIXTURES);
  return files;
}

const FILES = fixtureFiles();

function readFrom(files: ReadonlyMap<string, string>) {
  return (path: string): SourceText | undefined => {
    const text = files.get(path);
    return text === undefined ? undefined : { path, text };
  };
}

function parseFixture(path: string) {
  const text = FILES.get(path);
  if (text === undefined) throw new Error(`no fixture ${path}`);
  return parsePipRequirements({ path, text }, { readInclude: readFrom(FILES) });
}

/** Parses an in-memory requirements.txt (and optional other files) and returns the messages. */
function messagesOf(text: string, others: Record<string, string> = {}): string[] {
  const files = new Map(Object.entries({ "requirements.txt": text, ...others }));
  try {
    parsePipRequirements({ path: "requirements.txt", text }, { readInclude: readFrom(files) });
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

function parseText(text: string, others: Record<string, string> = {}) {
  const files = new Map(Object.entries({ "requirements.txt": text, ...others }));
  return parsePipRequirements({ path: "requirements.txt", text }, { readInclude: readFrom(files) });
}

const SHA256 = "a".repeat(64);
const LOCAL =
  "local paths cannot be used: the image build cannot see your disk; publish the package to an index or put it in a build context";
const REQ_ALLOWED = 'allowed: a PEP 508 requirement such as "numpy>=1.2" or a pip option';
const OPTIONS_ALLOWED =
  "allowed: -r/--requirement, -c/--constraint, -i/--index-url, --extra-index-url, -f/--find-links, --pre, and --hash after a requirement";
const URL_ALLOWED = 'allowed: an http(s) URL such as "https://packages.example/simple"';

describe("parsePipRequirements: accepted lines", () => {
  it.each<[string, string, { name: string; requirement: string; hashes?: string[] }[]]>([
    ["a bare name", "numpy", [{ name: "numpy", requirement: "numpy" }]],
    [
      "a name is normalised (PEP 503)",
      "Typing_Extensions",
      [{ name: "typing-extensions", requirement: "Typing_Extensions" }],
    ],
    [
      "version ranges",
      "numpy >= 1.2 , < 2",
      [{ name: "numpy", requirement: "numpy >= 1.2 , < 2" }],
    ],
    [
      "extras",
      "uvicorn[standard]>=0.30",
      [{ name: "uvicorn", requirement: "uvicorn[standard]>=0.30" }],
    ],
    [
      "a marker",
      'numpy>=1.2; python_version>"3.8"',
      [{ name: "numpy", requirement: 'numpy>=1.2; python_version>"3.8"' }],
    ],
    [
      "a local version label",
      "torch==2.3.1+cu121",
      [{ name: "torch", requirement: "torch==2.3.1+cu121" }],
    ],
    ["a wildcard", "numpy==1.26.*", [{ name: "numpy", requirement: "numpy==1.26.*" }]],
    [
      "arbitrary equality",
      "legacy===1.0-custom",
      [{ name: "legacy", requirement: "legacy===1.0-custom" }],
    ],
    [
      "an http(s) direct reference",
      "pkg @ https://files.example/pkg-1.0-py3-none-any.whl",
      [{ name: "pkg", requirement: "pkg @ https://files.example/pkg-1.0-py3-none-any.whl" }],
    ],
    [
      "a direct reference with a marker",
      "pkg @ https://files.example/pkg-1.0.tar.gz ; sys_platform == 'linux'",
      [
        {
          name: "pkg",
          requirement: "pkg @ https://files.example/pkg-1.0.tar.gz ; sys_platform == 'linux'",
        },
      ],
    ],
    [
      "a hash",
      `numpy==1.26.4 --hash=sha256:${SHA256}`,
      [{ name: "numpy", requirement: "numpy==1.26.4", hashes: [`sha256:${SHA256}`] }],
    ],
    [
      "several hashes, space-separated value, upper case hex",
      `numpy==1.26.4 --hash sha384:${"B".repeat(96)} --hash=sha512:${"c".repeat(128)}`,
      [
        {
          name: "numpy",
          requirement: "numpy==1.26.4",
          hashes: [`sha384:${"b".repeat(96)}`, `sha512:${"c".repeat(128)}`],
        },
      ],
    ],
    [
      "a continuation joins lines, numbered by the first",
      `numpy==1.26.4 \\\n    --hash=sha256:${SHA256}`,
      [{ name: "numpy", requirement: "numpy==1.26.4", hashes: [`sha256:${SHA256}`] }],
    ],
    [
      "a byte order mark and CRLF line ends",
      "\uFEFFnumpy\r\nscipy",
      [
        { name: "numpy", requirement: "numpy" },
        { name: "scipy", requirement: "scipy" },
      ],
    ],
    [
      "comments and blank lines",
      "# header\n\nnumpy  # why\n   \n#pandas\n",
      [{ name: "numpy", requirement: "numpy" }],
    ],
  ])("%s", (_label, text, expected) => {
    const parsed = parseText(text);
    expect(parsed.requirements).toEqual(expected.map((item) => ({ hashes: [], ...item })));
    expect(parsed.constraints).toEqual([]);
  });

  it("reads the global options", () => {
    const parsed = parseText(
      [
        "-i https://mirror.example/simple",
        "--extra-index-url=https://one.example/simple",
        "--extra-index-url https://two.example/simple",
        "--extra-index-url https://one.example/simple",
        "-f https://files.example/wheels/",
        "--find-links=https://files.example/more/",
        "--pre",
        "--index-url https://mirror.example/simple",
      ].join("\n"),
    );
    expect(parsed).toEqual({
      requirements: [],
      constraints: [],
      indexUrl: "https://mirror.example/simple",
      extraIndexUrls: ["https://one.example/simple", "https://two.example/simple"],
      findLinks: ["https://files.example/wheels/", "https://files.example/more/"],
      pre: true,
    });
  });

  it("a # not after whitespace is not a comment (as in pip)", () => {
    expect(messagesOf("pkg#egg")).toEqual([
      `requirements.txt:1: not a valid requirement: "#" starts a comment only at the start of a line or after a space (found "pkg#egg"; ${REQ_ALLOWED})`,
    ]);
    expect(
      parseText("pkg @ https://files.example/pkg-1.0.tar.gz#sha256=abc").requirements,
    ).toHaveLength(1);
  });

  it("an empty file has nothing and no index", () => {
    expect(parseText("")).toEqual({
      requirements: [],
      constraints: [],
      extraIndexUrls: [],
      findLinks: [],
      pre: false,
    });
  });

  it("keeps index credentials in the model (redacted only in messages)", () => {
    expect(parseText("-i https://bot:hunter2@idx.example/simple").indexUrl).toBe(
      "https://bot:hunter2@idx.example/simple",
    );
  });
});

describe("parsePipRequirements: errors (pinned messages)", () => {
  it.each<[string, string, string[]]>([
    [
      "-e",
      "numpy\n-e ./src",
      [
        'requirements.txt:2: editable installs are not reproducible in an image (found "-e ./src"; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      ],
    ],
    [
      "--editable=.",
      "--editable=.",
      [
        'requirements.txt:1: editable installs are not reproducible in an image (found "--editable=."; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      ],
    ],
    ["a relative path", "./pkg", [`requirements.txt:1: ${LOCAL} (found "./pkg"; ${REQ_ALLOWED})`]],
    ["a parent path", "../lib", [`requirements.txt:1: ${LOCAL} (found "../lib"; ${REQ_ALLOWED})`]],
    [
      "an absolute wheel",
      "/abs/x-1.0-py3-none-any.whl",
      [`requirements.txt:1: ${LOCAL} (found "/abs/x-1.0-py3-none-any.whl"; ${REQ_ALLOWED})`],
    ],
    [
      "a bare archive name",
      "x-1.0.tar.gz",
      [`requirements.txt:1: ${LOCAL} (found "x-1.0.tar.gz"; ${REQ_ALLOWED})`],
    ],
    [
      "a sub folder",
      "libs/mypkg",
      [`requirements.txt:1: ${LOCAL} (found "libs/mypkg"; ${REQ_ALLOWED})`],
    ],
    [
      "a home path",
      "~/src/pkg",
      [`requirements.txt:1: ${LOCAL} (found "~/src/pkg"; ${REQ_ALLOWED})`],
    ],
    [
      "a file: URL",
      "file:///tmp/x.whl",
      [`requirements.txt:1: ${LOCAL} (found "file:///tmp/x.whl"; ${REQ_ALLOWED})`],
    ],
    [
      "a file: direct reference",
      "x @ file:///tmp/x.whl",
      [`requirements.txt:1: ${LOCAL} (found "x @ file:///tmp/x.whl"; ${REQ_ALLOWED})`],
    ],
    [
      "a direct reference that is neither http(s) nor VCS",
      "x @ ftp://git.example/x-1.0.tar.gz",
      [
        'requirements.txt:1: only http(s) URLs can be used in a direct reference (found "x @ ftp://git.example/x-1.0.tar.gz"; allowed: "name @ https://host/path/name-1.0-py3-none-any.whl")',
      ],
    ],
    [
      "a VCS repository on the local disk",
      "x @ git+file:///srv/x.git",
      [
        'requirements.txt:1: a file: repository is on your disk, which the image build cannot see (found "x @ git+file:///srv/x.git"; allowed: "name @ git+https://host/repo.git@<tag or commit>" or git+https://host/repo.git#egg=name)',
      ],
    ],
    [
      "a VCS URL whose name cannot be told",
      "git+https://git.example/",
      [
        'requirements.txt:1: the project name cannot be told: write "name @ <url>" or add #egg=name (found "git+https://git.example/"; allowed: "name @ git+https://host/repo.git@<tag or commit>" or git+https://host/repo.git#egg=name)',
      ],
    ],
    [
      "a bare URL",
      "https://files.example/x-1.0-py3-none-any.whl",
      [
        'requirements.txt:1: a URL needs a project name: write "name @ <url>" (found "https://files.example/x-1.0-py3-none-any.whl"; allowed: "name @ https://host/path/name-1.0-py3-none-any.whl")',
      ],
    ],
    [
      "invalid PEP 508",
      "numpy>>1.2",
      [
        `requirements.txt:1: not a valid requirement: at column 7: expected "!", "+", "*", ".", "_", "-", or an alpha-numeric character (found "numpy>>1.2"; ${REQ_ALLOWED})`,
      ],
    ],
    [
      "an invalid PEP 440 specifier",
      "numpy~=1",
      [
        `requirements.txt:1: "~=1" is not a valid PEP 440 version specifier (found "numpy~=1"; ${REQ_ALLOWED})`,
      ],
    ],
    [
      "an invalid marker after a URL",
      "x @ https://files.example/x.whl ; nonsense",
      [
        `requirements.txt:1: not a valid environment marker: "nonsense" (found "x @ https://files.example/x.whl ; nonsense"; ${REQ_ALLOWED})`,
      ],
    ],
    [
      "an error in a continued line is reported at its first line",
      `numpy\n\nscipy==1 \\\n  --hash=sha1:${"0".repeat(40)} \\\n  --hash=sha256:${SHA256}`,
      [
        `requirements.txt:3: unsupported hash algorithm "sha1" (found "sha1:${"0".repeat(40)}"; allowed: sha256, sha384 or sha512, written as --hash=sha256:<hex>)`,
      ],
    ],
    [
      "a continuation at the end of the file",
      "numpy \\\n  --pre \\",
      [
        'requirements.txt:1: only --hash can follow a requirement; put --pre on its own line (found "--pre"; allowed: --hash=<algorithm>:<hex>)',
      ],
    ],
    [
      "an unknown option",
      "--frobnicate",
      [
        `requirements.txt:1: unknown pip option --frobnicate (found "--frobnicate"; ${OPTIONS_ALLOWED})`,
      ],
    ],
    [
      "a known but unsupported option",
      "--trusted-host idx.example",
      [
        `requirements.txt:1: pip option --trusted-host is not supported by envforge (found "--trusted-host"; ${OPTIONS_ALLOWED})`,
      ],
    ],
    [
      "a global option after a requirement",
      "numpy --index-url https://idx.example/simple",
      [
        'requirements.txt:1: only --hash can follow a requirement; put --index-url on its own line (found "--index-url"; allowed: --hash=<algorithm>:<hex>)',
      ],
    ],
    [
      "--hash on its own line",
      `--hash=sha256:${SHA256}`,
      [
        `requirements.txt:1: --hash belongs after a requirement on the same line (found "--hash=sha256:${SHA256}"; allowed: e.g. "numpy==1.26.4 --hash=sha256:<64 hex>")`,
      ],
    ],
    [
      "a weak hash algorithm",
      "numpy==1 --hash=md5:0123",
      [
        'requirements.txt:1: unsupported hash algorithm "md5" (found "md5:0123"; allowed: sha256, sha384 or sha512, written as --hash=sha256:<hex>)',
      ],
    ],
    [
      "a short hash",
      "numpy==1 --hash=sha256:abc",
      [
        'requirements.txt:1: not a valid sha256 hash (found "sha256:abc"; allowed: 64 hexadecimal digits)',
      ],
    ],
    [
      "a second, different --index-url",
      "-i https://a.example/simple\nnumpy\n--index-url https://b.example/simple",
      [
        'requirements.txt:3: a second --index-url conflicts with the first ("https://a.example/simple" at requirements.txt:1) (found "https://b.example/simple"; allowed: one --index-url; add more indexes with --extra-index-url)',
      ],
    ],
    [
      "a second --index-url never shows a password",
      "-i https://bot:pw1@a.example/simple\n-i https://tok@b.example/simple",
      [
        'requirements.txt:2: a second --index-url conflicts with the first ("https://bot:****@a.example/simple" at requirements.txt:1) (found "https://****@b.example/simple"; allowed: one --index-url; add more indexes with --extra-index-url)',
      ],
    ],
    [
      "an option without a value",
      "--index-url",
      ['requirements.txt:1: --index-url needs a value (found "--index-url")'],
    ],
    [
      "--pre with a value",
      "--pre=yes",
      ['requirements.txt:1: --pre takes no value (found "--pre=yes"; allowed: --pre)'],
    ],
    [
      "a local index",
      "-i ./wheels",
      [`requirements.txt:1: ${LOCAL} (found "./wheels"; ${URL_ALLOWED})`],
    ],
    [
      "a local find-links",
      "--find-links /srv/wheels",
      [`requirements.txt:1: ${LOCAL} (found "/srv/wheels"; ${URL_ALLOWED})`],
    ],
    [
      "a non-http index",
      "--extra-index-url ftp://idx.example/",
      [`requirements.txt:1: not an http(s) URL (found "ftp://idx.example/"; ${URL_ALLOWED})`],
    ],
    [
      "an include given as a URL",
      "-r https://files.example/req.txt",
      [
        'requirements.txt:1: an included file must be a path relative to this file, not a URL (found "https://files.example/req.txt"; allowed: a relative path such as "requirements-base.txt")',
      ],
    ],
    [
      "a missing include",
      "-r missing.txt",
      ['requirements.txt:1: cannot read included file "missing.txt" (found "missing.txt")'],
    ],
    [
      "extras in a constraint",
      "-c c.txt",
      [
        'c.txt:1: a constraint cannot have extras (found "uvicorn[standard]<1"; allowed: a name and versions only, e.g. "numpy<2")',
      ],
    ],
  ])("%s", (_label, text, expected) => {
    expect(messagesOf(text, { "c.txt": "uvicorn[standard]<1\n" })).toEqual(expected);
  });

  it("collects every problem of every file in one error", () => {
    expect(
      messagesOf("-e .\n./x\nnumpy>>1\n-r inc.txt\n", { "inc.txt": "--nope\nok\n/abs\n" }),
    ).toEqual([
      'requirements.txt:1: editable installs are not reproducible in an image (found "-e ."; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      `requirements.txt:2: ${LOCAL} (found "./x"; ${REQ_ALLOWED})`,
      `requirements.txt:3: not a valid requirement: at column 7: expected "!", "+", "*", ".", "_", "-", or an alpha-numeric character (found "numpy>>1"; ${REQ_ALLOWED})`,
      `inc.txt:1: unknown pip option --nope (found "--nope"; ${OPTIONS_ALLOWED})`,
      `inc.txt:3: ${LOCAL} (found "/abs"; ${REQ_ALLOWED})`,
    ]);
  });

  it("never puts a password in any message", () => {
    const text = [
      "-i https://u:topsecret@a.example/simple",
      "x @ git+ftp://u:topsecret@git.example/x.git",
      "--extra-index-url ftp://u:topsecret@b.example/",
      "-i https://u:topsecret@c.example/simple",
    ].join("\n");
    const messages = messagesOf(text);
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain("topsecret");
  });
});

describe("parsePipRequirements: includes (fixtures)", () => {
  it("flattens nested -r includes relative to each file's folder", () => {
    expect(parseFixture("nested/requirements.txt")).toEqual({
      requirements: [
        { name: "pydantic", requirement: "pydantic>=2.7", hashes: [] },
        { name: "fastapi", requirement: "fastapi==0.111.0", hashes: [] },
        { name: "uvicorn", requirement: "uvicorn[standard]>=0.30", hashes: [] },
        { name: "requests", requirement: "requests==2.32.3", hashes: [] },
      ],
      constraints: [],
      indexUrl: "https://mirror.example/simple",
      extraIndexUrls: [],
      findLinks: [],
      pre: true,
    });
  });

  it("asks for the joined POSIX path", () => {
    const asked: string[] = [];
    parsePipRequirements(
      { path: "proj/reqs/requirements.txt", text: "-r ../base.txt\n-c ./sub/../c.txt\n" },
      {
        readInclude: (path) => {
          asked.push(path);
          return { path, text: "" };
        },
      },
    );
    expect(asked).toEqual(["proj/base.txt", "proj/reqs/c.txt"]);
  });

  it("reports an include cycle with the chain", () => {
    expect(() => parseFixture("cycle/a.txt")).toThrow(ValidationError);
    try {
      parseFixture("cycle/a.txt");
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      expect(error.problems.map(formatProblem)).toEqual([
        "cycle/b.txt:2: include cycle: cycle/a.txt -> cycle/b.txt -> cycle/a.txt (allowed: each file included once along a chain)",
      ]);
    }
  });

  it("finds a cycle back to a root given as ./path", () => {
    const files = new Map([["sub/b.txt", "-r ../requirements.txt\n"]]);
    expect(() =>
      parsePipRequirements(
        { path: "./requirements.txt", text: "-r sub/b.txt\n" },
        { readInclude: readFrom(files) },
      ),
    ).toThrow("sub/b.txt:1: include cycle: requirements.txt -> sub/b.txt -> requirements.txt");
  });

  it("reads a file included twice (a diamond) once", () => {
    const parsed = parseText("-r a.txt\n-r b.txt\n", {
      "a.txt": "-r common.txt\nalpha\n",
      "b.txt": "-r common.txt\nbeta\n",
      "common.txt": "numpy\n",
    });
    expect(parsed.requirements.map((requirement) => requirement.name)).toEqual([
      "numpy",
      "alpha",
      "beta",
    ]);
  });

  it("a PyTorch project: includes, constraints, extra index, local versions, markers", () => {
    const parsed = parseFixture("pytorch-project/requirements.txt");
    expect(parsed.requirements.map((requirement) => requirement.name)).toEqual([
      "numpy",
      "pillow",
      "pyyaml",
      "tqdm",
      "typing-extensions",
      "torch",
      "torchvision",
      "torchaudio",
      "lightning",
      "timm",
      "tensorboard",
      "nvidia-ml-py",
    ]);
    expect(parsed.constraints).toEqual([
      { name: "protobuf", requirement: "protobuf<5", hashes: [] },
      { name: "grpcio", requirement: "grpcio==1.64.1", hashes: [] },
    ]);
    expect(parsed.extraIndexUrls).toEqual(["https://packages.example/whl/cu121"]);
    expect(parsed.indexUrl).toBeUndefined();
    expect(
      parsed.requirements.find((requirement) => requirement.name === "timm")?.requirement,
    ).toBe("timm==1.0.7");
  });

  it("a pip-compile --generate-hashes file", () => {
    const parsed = parseFixture("hashed/requirements.txt");
    expect(
      parsed.requirements.map((requirement) => [
        requirement.requirement,
        requirement.hashes.length,
      ]),
    ).toEqual([
      ["certifi==2024.7.4", 2],
      ["charset-normalizer==3.3.2", 1],
      ["idna==3.7", 1],
      ["requests==2.32.3", 1],
      ["urllib3==2.2.2", 1],
    ]);
    expect(parsed.requirements[0]?.hashes[1]).toBe(
      "sha256:c198e21b1289c2ab85ee4e67bb4b4ef3ead0892059901a8d5b622f24a1101e90",
    );
  });

  it("a data-science file with a private index and a direct wheel reference", () => {
    const parsed = parseFixture("data-science/requirements.txt");
    expect(parsed.indexUrl).toBe("https://ci-bot:s3cr3t-token@pypi.internal.example/simple");
    expect(parsed.extraIndexUrls).toEqual(["https://packages.example/simple"]);
    expect(parsed.requirements.map((requirement) => requirement.name)).toEqual([
      "pandas",
      "scikit-learn",
      "matplotlib",
      "seaborn",
      "jupyterlab",
      "xgboost",
      "my-feature-store",
      "polars",
    ]);
  });
});

describe("pipRequirementsFromLines", () => {
  it("parses one item per line with options", () => {
    expect(
      pipRequirementsFromLines(
        ["--index-url https://idx.example/simple", "numpy==1.26.4", "Flask>=3"],
        {
          path: "envforge.yaml",
        },
      ),
    ).toEqual({
      requirements: [
        { name: "numpy", requirement: "numpy==1.26.4", hashes: [] },
        { name: "flask", requirement: "Flask>=3", hashes: [] },
      ],
      constraints: [],
      indexUrl: "https://idx.example/simple",
      extraIndexUrls: [],
      findLinks: [],
      pre: false,
    });
  });

  it("places problems with the caller's locations and refuses includes", () => {
    const result = checkPipRequirementLines(["numpy", "-r other.txt", "-e ./src", "x>>1"], {
      path: "env.yml",
      locate: (index) => ({ line: 10 + index, column: 9, key: `dependencies[3].pip[${index}]` }),
    });
    expect(result.problems.map(formatProblem)).toEqual([
      'env.yml:11:9: dependencies[3].pip[1]: includes (-r, -c) cannot be used in a list: list the requirements instead (found "-r other.txt")',
      'env.yml:12:9: dependencies[3].pip[2]: editable installs are not reproducible in an image (found "-e ./src"; allowed: a requirement from an index, e.g. "mypkg==1.0")',
      `env.yml:13:9: dependencies[3].pip[3]: not a valid requirement: at column 3: expected "!", "+", "*", ".", "_", "-", or an alpha-numeric character (found "x>>1"; ${REQ_ALLOWED})`,
    ]);
    expect(result.value.requirements.map((requirement) => requirement.name)).toEqual(["numpy"]);
  });

  it("throws one ValidationError", () => {
    expect(() => pipRequirementsFromLines(["./x", "-e ."], { path: "envforge.yaml" })).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([expect.objectContaining({ file: "envforge.yaml" })]),
      }),
    );
  });
});

describe("redactUrl", () => {
  it.each([
    ["https://user:secret@idx.example/simple", "https://user:****@idx.example/simple"],
    ["https://token@idx.example/simple", "https://****@idx.example/simple"],
    ["https://idx.example/simple", "https://idx.example/simple"],
    ["https://u:p@ss@idx.example/a@b", "https://u:****@idx.example/a@b"],
    [
      "-i https://u:p@a.example/x --extra-index-url http://v:q@b.example/",
      "-i https://u:****@a.example/x --extra-index-url http://v:****@b.example/",
    ],
    ["https://${USER}:${TOKEN}@idx.example/simple", "https://${USER}:****@idx.example/simple"],
    ["not a url", "not a url"],
    ["https://conda.example/t/abc-123/my-channel", "https://conda.example/t/****/my-channel"],
    ["https://conda.example/sub/t/abc/ch/linux-64", "https://conda.example/sub/t/****/ch/linux-64"],
    ["https://conda.example/top/ch", "https://conda.example/top/ch"],
  ])("%s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe("properties", () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9_~-]{6,20}$/);
  const user = fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/);

  it("redactUrl never lets a password through, in a URL or in an error message", () => {
    fc.assert(
      fc.property(user, secret, (name, password) => {
        fc.pre(!"https://idx.example/simple".includes(password) && !name.includes(password));
        const url = `https://${name}:${password}@idx.example/simple`;
        const messages = messagesOf(`-i https://a.example/simple\n-i ${url}\n--index-url=${url}`);
        return (
          !redactUrl(url).includes(password) &&
          messages.length === 2 &&
          messages.every((message) => !message.includes(password))
        );
      }),
    );
  });

  it("a valid name with a pinned version parses to its PEP 503 name", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?$/);
    const version = fc.array(fc.nat({ max: 99 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(name, version, (project, parts) => {
        const line = `${project}==${parts.join(".")}`;
        const [requirement] = parseText(line).requirements;
        return (
          requirement?.requirement === line &&
          requirement.name === project.toLowerCase().replace(/[-_.]+/g, "-")
        );
      }),
    );
  });
});

describe("VCS requirements (issue 14)", () => {
  const read = (text: string) =>
    parsePipRequirements({ path: "requirements.txt", text }, { readInclude: () => undefined });

  it.each<[string, string, Record<string, string>]>([
    [
      "git+https://github.com/dask/distributed",
      "distributed",
      { vcs: "git", url: "https://github.com/dask/distributed" },
    ],
    [
      "clip @ git+https://github.com/openai/CLIP.git",
      "clip",
      { vcs: "git", url: "https://github.com/openai/CLIP.git" },
    ],
    [
      "trl @ git+https://github.com/huggingface/trl.git@0123456789abcdef0123456789abcdef01234567",
      "trl",
      {
        vcs: "git",
        url: "https://github.com/huggingface/trl.git",
        ref: "0123456789abcdef0123456789abcdef01234567",
      },
    ],
    [
      "git+ssh://git@127.0.0.1/org/repo.git@v1.2#egg=My_Pkg&subdirectory=python",
      "my-pkg",
      { vcs: "git", url: "ssh://git@127.0.0.1/org/repo.git", ref: "v1.2", subdirectory: "python" },
    ],
    [
      "hg+https://127.0.0.1/hg/proj@default#egg=proj",
      "proj",
      { vcs: "hg", url: "https://127.0.0.1/hg/proj", ref: "default" },
    ],
    [
      "svn+svn://127.0.0.1/repo/trunk#egg=tool",
      "tool",
      { vcs: "svn", url: "svn://127.0.0.1/repo/trunk" },
    ],
    [
      "bzr+https://127.0.0.1/proj/trunk@42#egg=proj",
      "proj",
      { vcs: "bzr", url: "https://127.0.0.1/proj/trunk", ref: "42" },
    ],
    [
      'x[extra] @ git+https://127.0.0.1/x.git@main ; python_version >= "3.8"',
      "x",
      { vcs: "git", url: "https://127.0.0.1/x.git", ref: "main" },
    ],
  ])("%s", (line, name, vcs) => {
    const parsed = read(`${line}\n`);
    expect(parsed.requirements).toEqual([{ name, requirement: line, hashes: [], vcs }]);
    expect(parsed.warnings).toBeUndefined();
  });

  it("accepts -e with a VCS URL as that URL, with a warning", () => {
    const parsed = read("-e git+https://127.0.0.1/x.git@v1#egg=x\n");
    expect(parsed.requirements).toEqual([
      {
        name: "x",
        requirement: "git+https://127.0.0.1/x.git@v1#egg=x",
        hashes: [],
        vcs: { vcs: "git", url: "https://127.0.0.1/x.git", ref: "v1" },
      },
    ]);
    expect(parsed.warnings?.map((warning) => warning.message)).toEqual([
      "-e (editable) is ignored for a VCS URL: an image has no working copy to edit, so it is installed at the locked commit",
    ]);
  });
});
