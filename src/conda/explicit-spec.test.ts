import { describe, expect, it } from "vitest";
import type { Lock } from "../definition/lock.js";
import { formatExplicitSpec, importExplicitSpec } from "./explicit-spec.js";

const HASH = `envforge_${"ab".repeat(16)}`;
const BASE = "http://127.0.0.1:9/defaults";

const LOCK: Lock = {
  version: 1,
  definitionHash: HASH,
  channels: [BASE],
  platforms: [
    {
      platform: "linux-64",
      virtualPackages: ["__glibc=2.28=0"],
      conda: [
        {
          name: "zlib",
          version: "1.2.11",
          build: "ha838bed_2",
          buildNumber: 2,
          channel: "defaults",
          subdir: "linux-64",
          filename: "zlib-1.2.11-ha838bed_2.tar.bz2",
          url: `${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2`,
          sha256: "c".repeat(64),
          depends: ["libgcc-ng >=7.2.0"],
          constrains: [],
        },
        {
          name: "python-dateutil",
          version: "2.7.3",
          build: "py36_0",
          buildNumber: 0,
          channel: "defaults",
          subdir: "linux-64",
          filename: "python-dateutil-2.7.3-py36_0.tar.bz2",
          url: `${BASE}/linux-64/python-dateutil-2.7.3-py36_0.tar.bz2`,
          sha256: "d".repeat(64),
          depends: [],
          constrains: [],
        },
      ],
      pip: [],
    },
  ],
};

describe("formatExplicitSpec", () => {
  it("writes @EXPLICIT and one URL#sha256 line per package, sorted", () => {
    expect(formatExplicitSpec(LOCK, "linux-64")).toBe(
      [
        "# This file may be used to create an environment using:",
        "# $ conda create --name <env> --file <this file>",
        "# platform: linux-64",
        `# envforge definition hash: ${HASH}`,
        "@EXPLICIT",
        `${BASE}/linux-64/python-dateutil-2.7.3-py36_0.tar.bz2#sha256:${"d".repeat(64)}`,
        `${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2#sha256:${"c".repeat(64)}`,
        "",
      ].join("\n"),
    );
  });

  it("names the platforms the lock has when asked for another", () => {
    expect(() => formatExplicitSpec(LOCK, "osx-64")).toThrow(
      "platform: the lock has no such platform (found osx-64; allowed: linux-64)",
    );
  });
});

describe("importExplicitSpec", () => {
  it("reads back what formatExplicitSpec wrote, without dependencies", () => {
    const text = formatExplicitSpec(LOCK, "linux-64");
    const imported = importExplicitSpec({ text, file: "explicit.txt", definitionHash: HASH });
    expect(imported.channels).toEqual([BASE]);
    expect(imported.platforms[0]?.conda).toEqual(
      LOCK.platforms[0]?.conda
        .map((p) => ({ ...p, channel: BASE, depends: [] }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  });

  it("accepts a bare sha256 and a platform given by the caller", () => {
    const text = `@EXPLICIT\n${BASE}/noarch/six-1.11.0-py_1.conda#${"E".repeat(64)}\n`;
    const lock = importExplicitSpec({
      text,
      file: "x.txt",
      definitionHash: HASH,
      platform: "linux-64",
    });
    expect(lock.platforms[0]).toMatchObject({
      platform: "linux-64",
      conda: [
        {
          name: "six",
          version: "1.11.0",
          build: "py_1",
          buildNumber: 1,
          subdir: "noarch",
          sha256: "e".repeat(64),
        },
      ],
    });
  });

  it("reports every line it cannot lock", () => {
    const text = [
      `${BASE}/linux-64/a-1-0.tar.bz2#${"c".repeat(64)}`,
      "# platform: linux-64",
      "@EXPLICIT",
      `${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2#${"1".repeat(32)}`,
      `${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2`,
      `${BASE}/linux-64/README.md#sha256:${"c".repeat(64)}`,
    ].join("\n");
    expect(() => importExplicitSpec({ text, file: "x.txt", definitionHash: HASH })).toThrow(
      [
        `x.txt:1: a package line before @EXPLICIT (found "${BASE}/linux-64/a-1-0.tar.bz2#${"c".repeat(64)}"; allowed: comments, then @EXPLICIT, then one package URL per line)`,
        `x.txt:4: only an md5 is given; envforge locks packages by sha256 (add #sha256:<hex>) (found "${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2#${"1".repeat(32)}")`,
        `x.txt:5: no sha256 after the URL (expected <url>#sha256:<64 hex digits>) (found "${BASE}/linux-64/zlib-1.2.11-ha838bed_2.tar.bz2")`,
        `x.txt:6: not a conda package URL (…/<subdir>/<name>-<version>-<build>.conda) (found "${BASE}/linux-64/README.md#sha256:${"c".repeat(64)}")`,
      ].join("\n"),
    );
  });
});
