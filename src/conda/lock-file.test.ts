import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import type { Lock, LockedCondaPackage } from "../definition/lock.js";
import { formatLockFile, parseLockFile } from "./lock-file.js";

function pkg(name: string, extra: Partial<LockedCondaPackage> = {}): LockedCondaPackage {
  return {
    name,
    version: "1.0",
    build: "h0_0",
    buildNumber: 0,
    channel: "defaults",
    subdir: "linux-64",
    filename: `${name}-1.0-h0_0.tar.bz2`,
    url: `http://127.0.0.1:9/defaults/linux-64/${name}-1.0-h0_0.tar.bz2`,
    sha256: `a${name.length}`.repeat(32),
    depends: ["python >=3.6,<3.7.0a0"],
    constrains: [],
    ...extra,
  };
}

const LOCK: Lock = {
  version: 1,
  definitionHash: `envforge_${"0123456789abcdef".repeat(2)}`,
  channels: ["http://127.0.0.1:9/defaults"],
  platforms: [
    {
      platform: "linux-64",
      virtualPackages: ["__unix=0=0", "__glibc=2.28=0"],
      conda: [
        pkg("zlib", { md5: "f".repeat(32), size: 10 }),
        pkg("affine", { subdir: "noarch", noarch: "python" }),
      ],
      pip: [],
    },
  ],
};

describe("formatLockFile", () => {
  it("writes a documented, sorted YAML document", () => {
    expect(formatLockFile(LOCK)).toBe(
      [
        "# envforge.lock: the resolved environment, written by `envforge lock`. Do not edit by hand.",
        "# Format: docs/lock-file.md in the envforge repository.",
        "version: 1",
        "definitionHash: envforge_0123456789abcdef0123456789abcdef",
        "channels:",
        "  - http://127.0.0.1:9/defaults",
        "platforms:",
        "  - platform: linux-64",
        "    virtualPackages:",
        "      - __glibc=2.28=0",
        "      - __unix=0=0",
        "    conda:",
        "      - name: affine",
        '        version: "1.0"',
        "        build: h0_0",
        "        buildNumber: 0",
        "        channel: defaults",
        "        subdir: noarch",
        "        filename: affine-1.0-h0_0.tar.bz2",
        "        url: http://127.0.0.1:9/defaults/linux-64/affine-1.0-h0_0.tar.bz2",
        "        sha256: a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6",
        "        noarch: python",
        "        depends:",
        "          - python >=3.6,<3.7.0a0",
        "        constrains: []",
        "      - name: zlib",
        '        version: "1.0"',
        "        build: h0_0",
        "        buildNumber: 0",
        "        channel: defaults",
        "        subdir: linux-64",
        "        filename: zlib-1.0-h0_0.tar.bz2",
        "        url: http://127.0.0.1:9/defaults/linux-64/zlib-1.0-h0_0.tar.bz2",
        "        sha256: a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4",
        "        md5: ffffffffffffffffffffffffffffffff",
        "        size: 10",
        "        depends:",
        "          - python >=3.6,<3.7.0a0",
        "        constrains: []",
        "    pip: []",
        "",
      ].join("\n"),
    );
  });

  it("gives the same bytes whatever order the lists came in", () => {
    const [platform] = LOCK.platforms;
    const shuffled: Lock = {
      ...LOCK,
      platforms: [
        { ...platform!, conda: [...platform!.conda].reverse() },
        { platform: "linux-aarch64", virtualPackages: [], conda: [], pip: [] },
      ],
    };
    const reordered: Lock = { ...shuffled, platforms: [...shuffled.platforms].reverse() };
    expect(formatLockFile(reordered)).toBe(formatLockFile(shuffled));
  });

  it("round-trips through parseLockFile", () => {
    const text = formatLockFile(LOCK);
    expect(formatLockFile(parseLockFile(text))).toBe(text);
    expect(parseLockFile(text).platforms[0]?.conda.map((c) => c.name)).toEqual(["affine", "zlib"]);
  });
});

describe("parseLockFile", () => {
  it("reports every problem with line, key, found and allowed", () => {
    const text = formatLockFile(LOCK)
      .replace("version: 1\n", "version: 3\n")
      .replace(
        "sha256: a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4",
        "sha256: abc",
      )
      .replace("    pip: []", "    pip: []\n    extra: true");
    let error: unknown;
    try {
      parseLockFile(text, "envforge.lock");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message.split("\n")).toEqual([
      "envforge.lock:3:10: version: not an allowed value (found 3; allowed: 2, 1)",
      'envforge.lock:34:17: platforms[0].conda[1].sha256: expected 64 lower-case hex digits (found "abc")',
      'envforge.lock:41:5: platforms[0].extra: unknown key "extra" (allowed: apt, conda, pip, platform, virtualPackages)',
    ]);
  });
});

describe("apt entries", () => {
  it("round-trip, and a version that is not Debian's is refused before any RUN line sees it", () => {
    const [platform] = LOCK.platforms;
    const withApt: Lock = {
      ...LOCK,
      platforms: [
        {
          ...platform!,
          apt: [
            { name: "libfoo1", version: "1:1.2.3-1+b1" },
            { name: "hello", version: "2.10-3" },
          ],
        },
      ],
    };
    const text = formatLockFile(withApt);
    expect(text).toContain(
      "    apt:\n      - name: hello\n        version: 2.10-3\n      - name: libfoo1\n        version: 1:1.2.3-1+b1\n",
    );
    expect(formatLockFile(parseLockFile(text))).toBe(text);
    expect(() =>
      parseLockFile(text.replace("version: 2.10-3", 'version: "2.10-3; rm -rf /"'), "x.lock"),
    ).toThrow(/x\.lock:\d+:\d+: platforms\[0\]\.apt\[0\]\.version: expected a Debian version/);
  });
});
