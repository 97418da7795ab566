import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InternalError, ValidationError } from "../errors/index.js";
import { canonicalJson } from "./canonical-json.js";
import { HASH_PATTERN, sha256Hex } from "./definition-hash.js";
import { canonicalImageDocument, imageHash, imageName } from "./image-hash.js";
import type { Lock, LockedCondaPackage } from "./lock.js";

const DEFINITION_HASH = "envforge_51d16ef53b41f6a415ee512d0da30b52";

const zlib: LockedCondaPackage = {
  name: "zlib",
  version: "1.2.13",
  build: "h5eee18b_0",
  buildNumber: 0,
  channel: "defaults",
  subdir: "linux-64",
  filename: "zlib-1.2.13-h5eee18b_0.conda",
  url: "http://127.0.0.1:8000/main/linux-64/zlib-1.2.13-h5eee18b_0.conda",
  sha256: "a".repeat(64),
  depends: ["libgcc-ng >=11.2.0"],
  constrains: [],
};
const xz: LockedCondaPackage = {
  ...zlib,
  name: "xz",
  version: "5.4.2",
  filename: "xz-5.4.2-h5eee18b_0.conda",
  url: "http://127.0.0.1:8000/main/linux-64/xz-5.4.2-h5eee18b_0.conda",
  sha256: "b".repeat(64),
};

const lock: Lock = {
  version: 1,
  definitionHash: DEFINITION_HASH,
  channels: ["http://127.0.0.1:8000/main"],
  platforms: [
    {
      platform: "linux-64",
      virtualPackages: ["__unix=0", "__glibc=2.36"],
      conda: [xz, zlib],
      pip: [
        {
          name: "requests",
          version: "2.32.3",
          url: "http://127.0.0.1:8080/r.whl",
          sha256: "c".repeat(64),
        },
      ],
    },
  ],
  baseImageDigest: `sha256:${"d".repeat(64)}`,
};

describe("imageHash", () => {
  it("has the envforge_<32 hex> form and differs from the definition hash", () => {
    expect(imageHash(DEFINITION_HASH)).toMatch(HASH_PATTERN);
    expect(imageHash(DEFINITION_HASH)).not.toBe(DEFINITION_HASH);
    expect(imageHash(DEFINITION_HASH, lock)).not.toBe(imageHash(DEFINITION_HASH));
  });

  it("is the sha256 of the canonical document", () => {
    const document = canonicalJson(canonicalImageDocument(DEFINITION_HASH, lock));
    expect(imageHash(DEFINITION_HASH, lock)).toBe(`envforge_${sha256Hex(document).slice(0, 32)}`);
  });

  it("ignores list order and credentials in URLs", () => {
    const reordered: Lock = {
      ...lock,
      channels: ["http://user:pw@127.0.0.1:8000/main"],
      platforms: lock.platforms.map((p) => ({
        ...p,
        conda: [...p.conda].reverse(),
        virtualPackages: [...p.virtualPackages].reverse(),
      })),
    };
    expect(imageHash(DEFINITION_HASH, reordered)).toBe(imageHash(DEFINITION_HASH, lock));
    expect(canonicalJson(canonicalImageDocument(DEFINITION_HASH, reordered))).not.toContain("pw");
  });

  it.each<[string, Lock]>([
    [
      "a package sha256",
      {
        ...lock,
        platforms: [{ ...lock.platforms[0]!, conda: [xz, { ...zlib, sha256: "e".repeat(64) }] }],
      },
    ],
    [
      "a package version",
      { ...lock, platforms: [{ ...lock.platforms[0]!, conda: [xz, { ...zlib, version: "1.3" }] }] },
    ],
    ["a pip package", { ...lock, platforms: [{ ...lock.platforms[0]!, pip: [] }] }],
    ["the base image digest", { ...lock, baseImageDigest: `sha256:${"f".repeat(64)}` }],
    ["no base image digest", { ...lock, baseImageDigest: undefined }],
    ["channel order", { ...lock, channels: [...lock.channels, "http://127.0.0.1:8000/extra"] }],
  ])("changes with %s", (_name, changed) => {
    expect(imageHash(DEFINITION_HASH, changed)).not.toBe(imageHash(DEFINITION_HASH, lock));
  });

  it("refuses a lock resolved from another definition", () => {
    const other = "envforge_00000000000000000000000000000000";
    expect(() => imageHash(other, lock)).toThrow(ValidationError);
    expect(() => imageHash(other, lock)).toThrow(
      `lock.definitionHash: the lock was resolved from another definition (found ${DEFINITION_HASH}; allowed: ${other})`,
    );
  });
});

describe("imageName", () => {
  const hash = "envforge_0123456789abcdef0123456789abcdef";
  it.each<[string | undefined, string]>([
    [undefined, `envforge/${hash}`],
    ["127.0.0.1:5000/envforge", `127.0.0.1:5000/envforge/${hash}`],
    ["127.0.0.1:5000/envforge/", `127.0.0.1:5000/envforge/${hash}`],
    ["127.0.0.1:5000/team/ml", `127.0.0.1:5000/team/ml/${hash}`],
    ["127.0.0.1:5000", `127.0.0.1:5000/${hash}`],
  ])("names the image for registry %s", (registry, expected) => {
    expect(imageName({ ...(registry === undefined ? {} : { registry }), imageHash: hash })).toBe(
      expected,
    );
  });

  it.each(["0123456789abcdef0123456789abcdef", "envforge_../../etc", "envforge_ABC"])(
    "refuses a malformed hash %s",
    (bad) => {
      expect(() => imageName({ imageHash: bad })).toThrow(InternalError);
    },
  );
});

describe("docs/hashing.md image hash example", () => {
  it("matches the documented digests", () => {
    const doc = readFileSync(new URL("../../docs/hashing.md", import.meta.url), "utf8");
    const match = /<!-- example-image-hash -->\s*```text\n(envforge_[0-9a-f]{32})\n```/.exec(doc);
    expect(match?.[1]).toBe(imageHash(DEFINITION_HASH));
  });
});
