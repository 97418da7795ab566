import { describe, expect, it } from "vitest";
import type { Lock } from "../definition/lock.js";
import { ValidationError } from "../errors/index.js";
import { formatPixiLock, importPixiLock } from "./pixi-lock.js";

const HASH = `envforge_${"ab".repeat(16)}`;
const CF = "http://127.0.0.1:9/conda-forge";
const sha = (c: string): string => c.repeat(64);

const LOCK: Lock = {
  version: 2,
  definitionHash: HASH,
  channels: [CF],
  platforms: ["linux-64", "linux-aarch64"].map((platform) => ({
    platform,
    virtualPackages: [],
    conda: [
      {
        name: "python",
        version: "3.11.6",
        build: "hab00c5b_0_cpython",
        buildNumber: 0,
        channel: CF,
        subdir: platform,
        filename: "python-3.11.6-hab00c5b_0_cpython.conda",
        url: `${CF}/${platform}/python-3.11.6-hab00c5b_0_cpython.conda`,
        sha256: sha(platform === "linux-64" ? "1" : "2"),
        md5: "a".repeat(32),
        size: 30_000_000,
        depends: ["libzlib >=1.2.13,<2.0.0a0", "tzdata"],
        constrains: ["python_abi 3.11.* *_cp311"],
      },
      {
        name: "requests",
        version: "2.31.0",
        build: "pyhd8ed1ab_0",
        buildNumber: 0,
        channel: CF,
        subdir: "noarch",
        filename: "requests-2.31.0-pyhd8ed1ab_0.conda",
        url: `${CF}/noarch/requests-2.31.0-pyhd8ed1ab_0.conda`,
        sha256: sha("3"),
        depends: ["python >=3.7"],
        constrains: [],
        noarch: "python",
      },
    ],
    pip: [
      {
        name: "wheel",
        version: "0.38.4",
        url: "http://127.0.0.1:9/files/wheel-0.38.4-py3-none-any.whl",
        sha256: sha("4"),
        filename: "wheel-0.38.4-py3-none-any.whl",
      },
    ],
  })),
};

describe("pixi.lock", () => {
  it("round-trips every package, URL, hash and dependency, the shared noarch one written once", () => {
    const text = formatPixiLock(LOCK);
    expect(text).toMatch(/^version: 6$/m);
    expect(text.match(/^- conda: .*requests-2\.31\.0/gm)).toHaveLength(1);
    // Derivable from the URL (noarch python for a noarch `py` build, requests' 0): left out;
    // python's build string ends in `cpython`, so its 0 is written.
    expect(text.match(/^ {2}build_number: 0$/gm)).toHaveLength(2);
    expect(text).not.toMatch(/noarch: /);
    const back = importPixiLock({ text, file: "pixi.lock", definitionHash: HASH });
    expect(back.channels).toEqual([CF]);
    expect(back.platforms).toEqual(LOCK.platforms);
  });

  it("writes build_number and noarch where the URL does not say them", () => {
    const odd: Lock = {
      ...LOCK,
      platforms: LOCK.platforms.slice(0, 1).map((p) => ({
        ...p,
        conda: p.conda.map((c) =>
          c.name === "python" ? { ...c, buildNumber: 7 } : { ...c, noarch: "generic" as const },
        ),
      })),
    };
    const text = formatPixiLock(odd);
    expect(text).toMatch(/^ {2}build_number: 7$/m);
    expect(text).toMatch(/^ {2}noarch: generic$/m);
    expect(importPixiLock({ text, file: "pixi.lock", definitionHash: HASH }).platforms).toEqual(
      odd.platforms,
    );
  });

  it("reads what pixi writes: other keys, indexes, and name, version, build from the URL", () => {
    const text = `version: 6
environments:
  default:
    channels:
    - url: ${CF}/
    indexes:
    - https://pypi.org/simple
    packages:
      linux-64:
      - conda: ${CF}/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
      - pypi: http://127.0.0.1:9/files/wheel-0.38.4-py3-none-any.whl
packages:
- conda: ${CF}/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
  sha256: ${sha("D")}
  md5: ${"e".repeat(32)}
  depends:
  - __glibc >=2.17,<3.0.a0
  constrains:
  - zlib 1.3.1 *_2
  license: Zlib
  license_family: Other
  purls: []
  size: 60963
  timestamp: 1727963148474
- pypi: http://127.0.0.1:9/files/wheel-0.38.4-py3-none-any.whl
  name: wheel
  version: 0.38.4
  sha256: ${sha("4")}
  requires_dist:
  - pytest>=3.0.0 ; extra == 'test'
  requires_python: '>=3.7'
`;
    const lock = importPixiLock({ text, file: "pixi.lock", definitionHash: HASH });
    expect(lock.platforms[0]?.conda[0]).toMatchObject({
      name: "libzlib",
      version: "1.3.1",
      build: "hb9d3cd8_2",
      buildNumber: 2,
      subdir: "linux-64",
      sha256: sha("d"),
      size: 60963,
      constrains: ["zlib 1.3.1 *_2"],
    });
    expect(lock.platforms[0]?.pip).toEqual([
      {
        name: "wheel",
        version: "0.38.4",
        url: "http://127.0.0.1:9/files/wheel-0.38.4-py3-none-any.whl",
        sha256: sha("4"),
        filename: "wheel-0.38.4-py3-none-any.whl",
      },
    ]);
  });

  function problems(text: string, environment?: string): string[] {
    try {
      importPixiLock({
        text,
        file: "pixi.lock",
        definitionHash: HASH,
        ...(environment === undefined ? {} : { environment }),
      });
    } catch (error) {
      if (error instanceof ValidationError)
        return error.problems.map((p) => `${p.key}: ${p.message}`);
      throw error;
    }
    return [];
  }

  const ONE = (
    entry: string,
    listed = `${CF}/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda`,
  ) => `version: 6
environments:
  default:
    packages:
      linux-64:
      - ${listed.startsWith("conda:") || listed.startsWith("pypi:") ? listed : `conda: ${listed}`}
packages:
${entry}
`;

  it.each([
    [
      "a conda package without sha256",
      ONE(`- conda: ${CF}/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda\n  md5: ${"e".repeat(32)}`),
      "packages[0]: http://127.0.0.1:9/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda has no sha256; envforge locks every package by sha256",
    ],
    [
      "a source tree pixi builds",
      ONE("- pypi: .\n  name: mine\n  version: 0.1.0\n  sha256: " + sha("5"), "pypi: ."),
      "packages[0]: mine is a source path pixi builds; envforge installs wheels by URL",
    ],
    [
      "an environment entry the packages list does not describe",
      ONE(`- conda: ${CF}/linux-64/other-1-0.conda\n  sha256: ${sha("6")}`),
      "environments.default.packages.linux-64: names a package the packages list does not describe",
    ],
  ])("refuses %s, naming it", (_what, text, problem) => {
    expect(problems(text)).toEqual([problem]);
  });

  it("refuses an environment the file does not have, listing those it has", () => {
    expect(
      problems(
        ONE(`- conda: ${CF}/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda\n  sha256: ${sha("7")}`),
        "cuda",
      ),
    ).toEqual(['environments: pixi.lock has no environment "cuda"']);
  });

  it("refuses another version of the format", () => {
    expect(problems("version: 5\nenvironments: {}\npackages: []\n")[0]).toMatch(/^version: /);
  });
});
