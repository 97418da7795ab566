import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Version, VersionSpec } from "@conda-org/rattler";
import { describe, expect, it } from "vitest";
import { formatMatchSpec, matchSpecName, parseMatchSpec } from "./match-spec.js";
import type { MatchSpec } from "./match-spec.js";

type Expected = Omit<MatchSpec, "extra"> & { readonly extra?: Record<string, string> };

// [written, parsed spec, canonical text]
const VALID: readonly (readonly [string, Expected, string])[] = [
  ["numpy", { name: "numpy" }, "numpy"],
  ["  NumPy  ", { name: "numpy" }, "numpy"],
  ["_libgcc_mutex", { name: "_libgcc_mutex" }, "_libgcc_mutex"],
  ["ca-certificates", { name: "ca-certificates" }, "ca-certificates"],
  ["ruamel.yaml", { name: "ruamel.yaml" }, "ruamel.yaml"],
  ["*", { name: "*" }, "*"],
  ["numpy *", { name: "numpy" }, "numpy"],
  ["numpy=*", { name: "numpy" }, "numpy"],
  // conda's space form
  ["numpy 1.11.*", { name: "numpy", version: "1.11.*" }, "numpy=1.11"],
  ["numpy 1.11", { name: "numpy", version: "==1.11" }, "numpy==1.11"],
  [
    "numpy 1.11 py36_0",
    { name: "numpy", version: "==1.11", build: "py36_0" },
    "numpy ==1.11 py36_0",
  ],
  ["numpy * py*", { name: "numpy", build: "py*" }, "numpy * py*"],
  ["python >=3.6,<3.8", { name: "python", version: ">=3.6,<3.8" }, "python>=3.6,<3.8"],
  ["python >= 3.6 , < 3.8", { name: "python", version: ">=3.6,<3.8" }, "python>=3.6,<3.8"],
  // equals forms
  ["python=3.7", { name: "python", version: "3.7.*" }, "python=3.7"],
  ["python=3.10.12", { name: "python", version: "3.10.12.*" }, "python=3.10.12"],
  ["python=3.7.*", { name: "python", version: "3.7.*" }, "python=3.7"],
  ["numpy=1.2*", { name: "numpy", version: "1.2.*" }, "numpy=1.2"],
  ["numpy==1.11.2", { name: "numpy", version: "==1.11.2" }, "numpy==1.11.2"],
  [
    "numpy=1.11.2=py36_0",
    { name: "numpy", version: "==1.11.2", build: "py36_0" },
    "numpy ==1.11.2 py36_0",
  ],
  [
    "numpy==1.11.2=py36_0",
    { name: "numpy", version: "==1.11.2", build: "py36_0" },
    "numpy ==1.11.2 py36_0",
  ],
  [
    "numpy=1.11.*=py36*",
    { name: "numpy", version: "1.11.*", build: "py36*" },
    "numpy 1.11.* py36*",
  ],
  [
    "_libgcc_mutex=0.1=conda_forge",
    { name: "_libgcc_mutex", version: "==0.1", build: "conda_forge" },
    "_libgcc_mutex ==0.1 conda_forge",
  ],
  [
    "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0",
    { name: "pytorch", version: "==2.1.0", build: "py3.10_cuda11.8_cudnn8.7.0_0" },
    "pytorch ==2.1.0 py3.10_cuda11.8_cudnn8.7.0_0",
  ],
  // operators, or, and, groups
  ["numpy>=1.2", { name: "numpy", version: ">=1.2" }, "numpy>=1.2"],
  ["numpy<=1.2", { name: "numpy", version: "<=1.2" }, "numpy<=1.2"],
  ["numpy>1.2", { name: "numpy", version: ">1.2" }, "numpy>1.2"],
  ["numpy<2", { name: "numpy", version: "<2" }, "numpy<2"],
  ["numpy!=1.2.3", { name: "numpy", version: "!=1.2.3" }, "numpy!=1.2.3"],
  ["numpy!=1.2.*", { name: "numpy", version: "!=1.2.*" }, "numpy!=1.2.*"],
  ["numpy~=1.2", { name: "numpy", version: "~=1.2" }, "numpy~=1.2"],
  // conda ignores `.*` after `>=`, and reads `1.*.*` as `1.*` (both occur in real repodata)
  [
    "python-dateutil >=2.5.*",
    { name: "python-dateutil", version: ">=2.5" },
    "python-dateutil>=2.5",
  ],
  ["ncurses >=5.9*", { name: "ncurses", version: ">=5.9" }, "ncurses>=5.9"],
  ["pytorch 1.*.*", { name: "pytorch", version: "1.*" }, "pytorch=1"],
  ["numpy 1.2*", { name: "numpy", version: "1.2.*" }, "numpy=1.2"],
  ["numpy ~= 1.2", { name: "numpy", version: "~=1.2" }, "numpy~=1.2"],
  ["numpy 1.2|1.4.*", { name: "numpy", version: "==1.2|1.4.*" }, "numpy ==1.2|1.4.*"],
  ["numpy >=1|<0.5", { name: "numpy", version: ">=1|<0.5" }, "numpy >=1|<0.5"],
  ["numpy (>=1,<2)|>3", { name: "numpy", version: "(>=1,<2)|>3" }, "numpy (>=1,<2)|>3"],
  // issue 14: `.*` after a relational operator is dropped, as conda and rattler do; `>` with a
  // glob is rattler's `>=` (docs/match-spec.md)
  // rattler (the solver) drops `==` before a version with no build: `==1.2.*` is `1.2.*`
  ["numpy==1.2.*", { name: "numpy", version: "1.2.*" }, "numpy=1.2"],
  ["numpy<=1.2.*", { name: "numpy", version: "<=1.2" }, "numpy<=1.2"],
  ["numpy >1.2.* py*", { name: "numpy", version: ">=1.2", build: "py*" }, "numpy >=1.2 py*"],
  ["numpy ~=1.2.*", { name: "numpy", version: "~=1.2" }, "numpy~=1.2"],
  [
    "dask-cuda==26.10.*,>=0.0.0a0",
    { name: "dask-cuda", version: "26.10.*,>=0.0.0a0" },
    "dask-cuda 26.10.*,>=0.0.0a0",
  ],
  // rattler reads `>=*` as any version
  ["numpy>=*", { name: "numpy" }, "numpy"],
  // conda separates bracket entries with spaces too
  [
    "numpy[version='>=1.2' build=py*]",
    { name: "numpy", version: ">=1.2", build: "py*" },
    "numpy >=1.2 py*",
  ],
  // a bracket value wins over the one before it, in conda and rattler
  ["numpy>=1[version=2]", { name: "numpy", version: "==2" }, "numpy==2"],
  ["numpy 1 py*[build=py3*]", { name: "numpy", version: "==1", build: "py3*" }, "numpy ==1 py3*"],
  [
    "conda-forge::numpy[channel=defaults]",
    { name: "numpy", channel: "defaults" },
    "defaults::numpy",
  ],
  // issue 14: an operator, then `=build` (pangeo's environments)
  [
    "jaxlib>=0.4.31=cuda12*",
    { name: "jaxlib", version: ">=0.4.31", build: "cuda12*" },
    "jaxlib >=0.4.31 cuda12*",
  ],
  [
    "tensorflow>=2.17.0=cuda12*",
    { name: "tensorflow", version: ">=2.17.0", build: "cuda12*" },
    "tensorflow >=2.17.0 cuda12*",
  ],
  [
    "numpy>=1.8,<2=py27*",
    { name: "numpy", version: ">=1.8,<2", build: "py27*" },
    "numpy >=1.8,<2 py27*",
  ],
  [
    "numpy >=1.8,<2 py27_0",
    { name: "numpy", version: ">=1.8,<2", build: "py27_0" },
    "numpy >=1.8,<2 py27_0",
  ],
  [
    "numpy=1.11*=*nomkl*",
    { name: "numpy", version: "1.11.*", build: "*nomkl*" },
    "numpy 1.11.* *nomkl*",
  ],
  [
    "conda-forge/linux-64::jaxlib>=0.4.31=cuda12*",
    {
      name: "jaxlib",
      version: ">=0.4.31",
      build: "cuda12*",
      channel: "conda-forge",
      subdir: "linux-64",
    },
    "conda-forge/linux-64::jaxlib >=0.4.31 cuda12*",
  ],
  [
    "numpy[version='>=1.2,<2', build=py*, channel=conda-forge, subdir=linux-64, license=BSD]",
    {
      name: "numpy",
      version: ">=1.2,<2",
      build: "py*",
      channel: "conda-forge",
      subdir: "linux-64",
      extra: { license: "BSD" },
    },
    "conda-forge/linux-64::numpy >=1.2,<2 py*[license=BSD]",
  ],
  ["openssl >=3.0.8", { name: "openssl", version: ">=3.0.8" }, "openssl>=3.0.8"],
  ["libblas=*=*mkl", { name: "libblas", build: "*mkl" }, "libblas * *mkl"],
  ["tzdata 2023c", { name: "tzdata", version: "==2023c" }, "tzdata==2023c"],
  [
    "jpeg 9e h0b41bf4_3",
    { name: "jpeg", version: "==9e", build: "h0b41bf4_3" },
    "jpeg ==9e h0b41bf4_3",
  ],
  ["pkg 2!1.0", { name: "pkg", version: "==2!1.0" }, "pkg==2!1.0"],
  ["pkg >=1.0+local.1", { name: "pkg", version: ">=1.0+local.1" }, "pkg>=1.0+local.1"],
  // channels and subdirs
  ["conda-forge::numpy", { name: "numpy", channel: "conda-forge" }, "conda-forge::numpy"],
  [
    "conda-forge/linux-64::NumPy>=1.2",
    { name: "numpy", version: ">=1.2", channel: "conda-forge", subdir: "linux-64" },
    "conda-forge/linux-64::numpy>=1.2",
  ],
  ["pkgs/main::numpy", { name: "numpy", channel: "pkgs/main" }, "pkgs/main::numpy"],
  [
    "http://127.0.0.1:8000/channel::numpy 1.2",
    { name: "numpy", version: "==1.2", channel: "http://127.0.0.1:8000/channel" },
    "http://127.0.0.1:8000/channel::numpy==1.2",
  ],
  // brackets
  [
    "numpy[version='>=1.2',build=py*]",
    { name: "numpy", version: ">=1.2", build: "py*" },
    "numpy >=1.2 py*",
  ],
  ['numpy[version=">=1.2, <2"]', { name: "numpy", version: ">=1.2,<2" }, "numpy>=1.2,<2"],
  [
    "x[build_number=3, md5=0123456789abcdef0123456789abcdef]",
    { name: "x", extra: { build_number: "3", md5: "0123456789abcdef0123456789abcdef" } },
    "x[build_number=3,md5=0123456789abcdef0123456789abcdef]",
  ],
  [
    "numpy[channel=conda-forge/osx-arm64]",
    { name: "numpy", channel: "conda-forge", subdir: "osx-arm64" },
    "conda-forge/osx-arm64::numpy",
  ],
  ["numpy[subdir=noarch]", { name: "numpy", subdir: "noarch" }, "numpy[subdir=noarch]"],
  [
    "numpy>=1.2[build_number='>=3', license=\"BSD 3-Clause\"]",
    { name: "numpy", version: ">=1.2", extra: { build_number: ">=3", license: "BSD 3-Clause" } },
    "numpy>=1.2[build_number='>=3',license='BSD 3-Clause']",
  ],
  [
    "numpy[url='http://127.0.0.1/x, y']",
    { name: "numpy", extra: { url: "http://127.0.0.1/x, y" } },
    "numpy[url='http://127.0.0.1/x, y']",
  ],
  [
    "numpy[license='it\\'s']",
    { name: "numpy", extra: { license: "it's" } },
    "numpy[license='it\\'s']",
  ],
  // comments and package files
  [
    "numpy=1.2.3=py_0  # pinned",
    { name: "numpy", version: "==1.2.3", build: "py_0" },
    "numpy ==1.2.3 py_0",
  ],
  [
    "http://127.0.0.1:8000/linux-64/numpy-1.21.0-py39h_0.conda",
    { name: "numpy", extra: { url: "http://127.0.0.1:8000/linux-64/numpy-1.21.0-py39h_0.conda" } },
    "numpy[url=http://127.0.0.1:8000/linux-64/numpy-1.21.0-py39h_0.conda]",
  ],
  [
    "./pkgs/my-pkg-0.1-0.tar.bz2",
    { name: "my-pkg", extra: { url: "./pkgs/my-pkg-0.1-0.tar.bz2" } },
    "my-pkg[url=./pkgs/my-pkg-0.1-0.tar.bz2]",
  ],
];

// [written, message, example]
const INVALID: readonly (readonly [string, string, string | undefined])[] = [
  ["", "a match spec must not be empty", "numpy>=1.2"],
  ["   # only a comment", "a match spec must not be empty", "numpy>=1.2"],
  ["numpy\nRUN rm -rf /", "a match spec must be one line: it contains a line break", "numpy>=1.2"],
  [
    "numpy>>1.2",
    'version spec ">>1.2" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =)',
    "numpy>=1.2",
  ],
  [
    "numpy=>1.2",
    'version spec "=>1.2" is not valid: "=>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =)',
    "numpy>=1.2",
  ],
  [
    "numpy>=1.0,<<2",
    'version spec ">=1.0,<<2" is not valid: "<<" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =)',
    "numpy>=1.0,<=2",
  ],
  [
    "numpy<>1",
    'version spec "<>1" is not valid: "<>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =)',
    "numpy!=1",
  ],
  [
    "numpy>=",
    'version spec ">=" is not valid: operator ">=" needs a version after it',
    "numpy>=1.0",
  ],
  [
    "numpy>=1,,<2",
    'version spec ">=1,,<2" is not valid: it has an empty part (a "," or "|" with nothing on one side)',
    undefined,
  ],
  [
    "numpy>1.2|",
    'version spec ">1.2|" is not valid: it has an empty part (a "," or "|" with nothing on one side)',
    undefined,
  ],
  ["numpy (>=1,<2", 'version spec "(>=1,<2" is not valid: "(" is not closed', "numpy (>=1,<2)"],
  ["numpy >=1)", 'version spec ">=1)" is not valid: ")" has no matching "("', undefined],
  [
    "numpy >=1.2(",
    'version spec ">=1.2(" is not valid: "(" may only start a group, after "," or "|"',
    undefined,
  ],
  [
    "numpy==1.*.3",
    'version spec "==1.*.3" is not valid: "*" may only end a version, as in 1.2.*',
    undefined,
  ],
  ["numpy 1..2", 'version spec "1..2" is not valid: version "1..2" has an empty part', undefined],
  [
    "numpy >=1.2^",
    'version spec ">=1.2^" is not valid: version "1.2^" contains "^"; versions use letters, digits and ". _ + ! -"',
    undefined,
  ],
  [
    "numpy 1!2!3",
    'version spec "1!2!3" is not valid: version "1!2!3" has a misplaced "!" (only an epoch such as 1!2.0 may use it)',
    undefined,
  ],
  [
    "numpy 1.2 py36 extra",
    '"1.2 py36 extra" is not "<version> <build>": there are 3 parts separated by spaces',
    "numpy 1.2.* py*",
  ],
  [
    "numpy 1.2 py-36",
    'build string "py-36" is not valid: it may contain only letters, digits, "_", ".", "+" and "*"',
    "numpy 1.2.* py*",
  ],
  [">=1.2", '">=1.2" has no package name before the version', "numpy>=1.2"],
  [
    "num$py",
    'package name "num$py" contains "$"; package names use only a-z, 0-9, "-", "_" and "."',
    undefined,
  ],
  ["numpy@1.2", 'package name "numpy@1.2" contains "@"; conda pins versions with "="', "numpy=1.2"],
  [
    "conda-forge:numpy",
    'package name "conda-forge:numpy" contains ":"; a channel is separated by "::"',
    "conda-forge::numpy",
  ],
  [
    "num*",
    'package name "num*" is a glob; package names use only a-z, 0-9, "-", "_" and "."',
    undefined,
  ],
  ["-numpy", 'package name "-numpy" must start with a letter, a digit or "_"', undefined],
  ["::numpy", 'the channel before "::" in "::numpy" is empty', "conda-forge::numpy"],
  [
    "numpy[version='>=1.2'",
    '"[" in "numpy[version=\'>=1.2\'" is not closed: add "]" at the end',
    "numpy[version='>=1.2']",
  ],
  ["numpy]", '"]" in "numpy]" has no matching "["', undefined],
  [
    "numpy[version='>=1.2']x",
    '"x" after "]" is not allowed: the [...] part must end the spec',
    "numpy[version='>=1.2']",
  ],
  ["numpy[]", 'the brackets in "numpy[]" are empty', "numpy[version='>=1.2']"],
  [
    "numpy[foo=1]",
    'unknown bracket key "foo" in "numpy[foo=1]"; allowed keys: build, build_number, channel, features, fn, license, license_family, md5, sha256, subdir, track_features, url, version',
    undefined,
  ],
  [
    "numpy[extra]",
    'bracket entry "extra" is not key=value; conda brackets take keys such as version= and build= (pip extras belong in the pip: list)',
    "numpy[version='>=1.2',build=py*]",
  ],
  [
    "numpy[version='>=1.2'build=py*]",
    'bracket entries in "numpy[version=\'>=1.2\'build=py*]" must be separated by "," or a space',
    undefined,
  ],
  [
    "tensorflow[name=pytorch]",
    'bracket name "pytorch" is not the package name "tensorflow" in "tensorflow[name=pytorch]"',
    undefined,
  ],
  [
    "numpy[version='>=1.2]",
    'the value of "version" in "numpy[version=\'>=1.2]" has no closing \'',
    undefined,
  ],
  [
    "numpy[version=1, version=2]",
    'bracket key "version" is given twice in "numpy[version=1, version=2]"',
    undefined,
  ],
  ["numpy[build=]", 'bracket key "build" has an empty value in "numpy[build=]"', undefined],
  [
    "numpy[version='>>1']",
    'version spec ">>1" is not valid: ">>" is not a version operator (use ==, !=, <, <=, >, >=, ~= or =)',
    "numpy[version='>=1']",
  ],
  [
    "numpy[subdir=linux-99]",
    'subdir "linux-99" is not a conda subdir (such as linux-64, osx-arm64, win-64, noarch)',
    undefined,
  ],
  ["x[md5=zz]", 'md5 "zz" is not valid: expected 32 hexadecimal digits', undefined],
  ["x[sha256=abc]", 'sha256 "abc" is not valid: expected 64 hexadecimal digits', undefined],
  [
    "x[build_number=three]",
    'build_number "three" is not valid: use a number, optionally after an operator',
    "x[build_number='>=3']",
  ],
  [
    "http://127.0.0.1/linux-64/numpy.conda",
    '"http://127.0.0.1/linux-64/numpy.conda" is not a conda package file: expected <name>-<version>-<build>.conda or .tar.bz2',
    undefined,
  ],
];

describe("parseMatchSpec: valid specs", () => {
  it.each(VALID)("%s", (written, expected, canonical) => {
    const result = parseMatchSpec(written);
    expect(result).toEqual({ ok: true, spec: { extra: {}, ...expected } });
    if (!result.ok) return;
    expect(formatMatchSpec(result.spec)).toBe(canonical);
    // The canonical text means the same spec.
    expect(parseMatchSpec(canonical)).toEqual(result);
    // The normalised version is one rattler accepts even in strict mode.
    const { version } = result.spec;
    if (version !== undefined)
      expect(() => new VersionSpec(version, "strict").free()).not.toThrow();
  });
});

describe("parseMatchSpec: invalid specs", () => {
  it.each(INVALID)("%s", (written, message, example) => {
    const result = parseMatchSpec(written);
    expect(result).toEqual({
      ok: false,
      error: example === undefined ? { message } : { message, example },
    });
    // Every suggested example is itself valid.
    if (example !== undefined) expect(parseMatchSpec(example).ok).toBe(true);
  });
});

describe("matchSpecName", () => {
  it.each([
    ["NumPy>=1.2", "numpy"],
    ["conda-forge::python=3.10", "python"],
    ["python-dateutil", "python-dateutil"],
    ["numpy>>1", undefined],
  ])("%s -> %s", (written, name) => {
    expect(matchSpecName(written)).toBe(name);
  });
});

// Every dependency of real packages (conda's 2018 defaults subset and a pytorch channel
// snapshot): each must parse, its normalised version must be valid for rattler in strict mode,
// and must match exactly the package versions rattler's lenient reading of the original matches.
describe("parseMatchSpec against real repodata and rattler", () => {
  const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
  const specs = new Set<string>();
  const versions = new Map<string, Set<string>>();
  for (const subdir of ["defaults-2018/linux-64", "defaults-2018/noarch", "pytorch/linux-64"]) {
    const file = resolve(repoRoot, "../shared/testdata/repodata", subdir, "repodata.json");
    const repodata: unknown = JSON.parse(readFileSync(file, "utf8"));
    for (const record of records(repodata)) {
      versions.set(record.name, (versions.get(record.name) ?? new Set()).add(record.version));
      for (const spec of record.specs) specs.add(spec);
    }
  }

  it("reads over a thousand distinct specs", () => {
    expect(specs.size).toBeGreaterThan(1000);
  });

  it("parses all of them, with the same meaning as rattler", () => {
    const failures: string[] = [];
    let compared = 0;
    for (const text of specs) {
      const result = parseMatchSpec(text);
      if (!result.ok) {
        failures.push(`${text}: ${result.error.message}`);
        continue;
      }
      const { name, version } = result.spec;
      const written = text.trim().split(/\s+/)[1];
      if (version === undefined || written === undefined) continue;
      const mine = new VersionSpec(version, "strict");
      const theirs = new VersionSpec(written, "lenient");
      for (const candidate of versions.get(name) ?? []) {
        const parsed = new Version(candidate);
        compared += 1;
        if (mine.matches(parsed) !== theirs.matches(parsed)) {
          failures.push(`${text}: ${version} and ${written} differ on ${candidate}`);
        }
        parsed.free();
      }
      mine.free();
      theirs.free();
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
  });
});

interface RepodataRecord {
  readonly name: string;
  readonly version: string;
  readonly specs: readonly string[];
}

function records(repodata: unknown): RepodataRecord[] {
  const found: RepodataRecord[] = [];
  for (const key of ["packages", "packages.conda"]) {
    const table: unknown = isObject(repodata) ? repodata[key] : undefined;
    if (!isObject(table)) continue;
    for (const record of Object.values(table)) {
      if (!isObject(record)) continue;
      const { name, version, depends, constrains } = record;
      if (typeof name !== "string" || typeof version !== "string") continue;
      const specs = [depends, constrains].flatMap((list) =>
        Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : [],
      );
      found.push({ name, version, specs });
    }
  }
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
