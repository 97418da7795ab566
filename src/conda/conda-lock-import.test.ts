import { describe, expect, it } from "vitest";
import { importCondaLock } from "./conda-lock-import.js";

const HASH = `envforge_${"cd".repeat(16)}`;
const CF = "http://127.0.0.1:9/conda-forge";

// The shape conda-lock 1.x/2.x writes (`conda-lock.yml`, version 1).
const CONDA_LOCK = `
version: 1
metadata:
  content_hash:
    linux-64: 0123
  channels:
    - url: conda-forge
      used_env_vars: []
  platforms:
    - linux-64
  sources:
    - environment.yml
package:
  - name: python
    version: 3.11.6
    manager: conda
    platform: linux-64
    dependencies:
      libzlib: ">=1.2.13,<2.0.0a0"
      tzdata: ""
    url: ${CF}/linux-64/python-3.11.6-hab00c5b_0_cpython.conda
    hash:
      md5: ${"a".repeat(32)}
      sha256: ${"B".repeat(64)}
    category: main
    optional: false
  - name: libzlib
    version: 1.2.13
    manager: conda
    platform: linux-64
    dependencies: {}
    url: ${CF}/linux-64/libzlib-1.2.13-hd590300_5.conda
    hash:
      md5: ${"c".repeat(32)}
      sha256: ${"d".repeat(64)}
    category: main
    optional: false
  - name: pytest
    version: 7.4.0
    manager: conda
    platform: linux-64
    dependencies: {}
    url: ${CF}/noarch/pytest-7.4.0-pyhd8ed1ab_0.conda
    hash:
      md5: ${"e".repeat(32)}
    category: dev
    optional: true
  - name: requests
    version: 2.31.0
    manager: pip
    platform: linux-64
    dependencies: {}
    url: http://127.0.0.1:9/pypi/requests-2.31.0-py3-none-any.whl
    hash:
      sha256: ${"f".repeat(64)}
    category: main
    optional: false
`;

describe("importCondaLock", () => {
  it("keeps main conda and pip packages per platform, with dependencies as match specs", () => {
    const lock = importCondaLock({
      text: CONDA_LOCK,
      file: "conda-lock.yml",
      definitionHash: HASH,
    });
    expect(lock).toEqual({
      version: 2,
      definitionHash: HASH,
      channels: [CF],
      platforms: [
        {
          platform: "linux-64",
          virtualPackages: [],
          conda: [
            {
              name: "libzlib",
              version: "1.2.13",
              build: "hd590300_5",
              buildNumber: 5,
              channel: CF,
              subdir: "linux-64",
              filename: "libzlib-1.2.13-hd590300_5.conda",
              url: `${CF}/linux-64/libzlib-1.2.13-hd590300_5.conda`,
              sha256: "d".repeat(64),
              md5: "c".repeat(32),
              depends: [],
              constrains: [],
            },
            {
              name: "python",
              version: "3.11.6",
              build: "hab00c5b_0_cpython",
              buildNumber: 0,
              channel: CF,
              subdir: "linux-64",
              filename: "python-3.11.6-hab00c5b_0_cpython.conda",
              url: `${CF}/linux-64/python-3.11.6-hab00c5b_0_cpython.conda`,
              sha256: "b".repeat(64),
              md5: "a".repeat(32),
              depends: ["libzlib >=1.2.13,<2.0.0a0", "tzdata"],
              constrains: [],
            },
          ],
          pip: [
            {
              name: "requests",
              version: "2.31.0",
              url: "http://127.0.0.1:9/pypi/requests-2.31.0-py3-none-any.whl",
              sha256: "f".repeat(64),
              filename: "requests-2.31.0-py3-none-any.whl",
            },
          ],
        },
      ],
    });
  });

  it("refuses entries without sha256, saying where", () => {
    const text = CONDA_LOCK.replace(`      sha256: ${"d".repeat(64)}\n`, "");
    expect(() => importCondaLock({ text, file: "conda-lock.yml", definitionHash: HASH })).toThrow(
      "conda-lock.yml:27:5: package[1]: libzlib has no sha256; envforge locks every package by sha256 (found only an md5; allowed: hash.sha256 with 64 hex digits)",
    );
  });

  it("refuses other conda-lock versions", () => {
    const text = CONDA_LOCK.replace("version: 1\n", "version: 2\n");
    expect(() => importCondaLock({ text, file: "conda-lock.yml", definitionHash: HASH })).toThrow(
      "conda-lock.yml:2:10: version: not an allowed value (found 2; allowed: 1)",
    );
  });
});
