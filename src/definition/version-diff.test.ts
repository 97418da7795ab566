import { describe, expect, it } from "vitest";
import type { Definition } from "./definition.js";
import type { LockedCondaPackage, Lock, PlatformLock } from "./lock.js";
import { diffVersions } from "./version-diff.js";

const base: Definition = {
  kind: "envforge",
  tags: {},
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
    defaulted: false,
  },
  conda: {
    channels: ["conda-forge"],
    dependencies: ["python=3.11", "numpy>=1.26"],
    pip: ["requests==2.31.0"],
    variables: {},
  },
  apt: ["curl"],
  variables: { MODE: "train" },
  platform: "linux-64",
  python: { userManagedDependencies: false, interpreterPath: "python" },
};

function conda(name: string, version: string, build = "h0_0"): LockedCondaPackage {
  return {
    name,
    version,
    build,
    buildNumber: 0,
    channel: "conda-forge",
    subdir: "linux-64",
    filename: `${name}-${version}-${build}.conda`,
    url: `http://127.0.0.1:1/${name}`,
    sha256: "0".repeat(64),
    depends: [],
    constrains: [],
  };
}

function lock(platform: Partial<PlatformLock>, extra: Partial<Lock> = {}): Lock {
  return {
    version: 1,
    definitionHash: "envforge_" + "0".repeat(32),
    channels: ["http://127.0.0.1:1/conda-forge"],
    platforms: [{ platform: "linux-64", virtualPackages: [], conda: [], pip: [], ...platform }],
    ...extra,
  };
}

describe("diffVersions: the definition", () => {
  const cases: { title: string; change: Partial<Definition>; expected: unknown[] }[] = [
    {
      title: "a conda spec changed in version",
      change: { conda: { ...base.conda!, dependencies: ["python=3.11", "numpy>=2"] } },
      expected: [
        { part: "conda", key: "numpy", kind: "changed", from: "numpy>=1.26", to: "numpy>=2" },
      ],
    },
    {
      title: "a conda spec added and one removed",
      change: { conda: { ...base.conda!, dependencies: ["python=3.11", "scipy"] } },
      expected: [
        { part: "conda", key: "numpy", kind: "removed", from: "numpy>=1.26" },
        { part: "conda", key: "scipy", kind: "added", to: "scipy" },
      ],
    },
    {
      title: "a channel added",
      change: { conda: { ...base.conda!, channels: ["conda-forge", "bioconda"] } },
      expected: [{ part: "channels", key: "bioconda", kind: "added", to: "bioconda" }],
    },
    {
      title: "a channel put in front",
      change: { conda: { ...base.conda!, channels: ["bioconda", "conda-forge"] } },
      expected: [{ part: "channels", key: "bioconda", kind: "added", to: "bioconda" }],
    },
    {
      title: "a pip requirement changed, whatever its case",
      change: { conda: { ...base.conda!, pip: ["Requests==2.32.0"] } },
      expected: [
        {
          part: "pip",
          key: "requests",
          kind: "changed",
          from: "requests==2.31.0",
          to: "Requests==2.32.0",
        },
      ],
    },
    {
      title: "a pip requirement from a requirements file added",
      change: {
        pip: {
          requirements: [{ name: "tqdm", requirement: "tqdm>=4", hashes: [] }],
          constraints: [],
          extraIndexUrls: [],
          findLinks: [],
          pre: false,
        },
      },
      expected: [{ part: "pip", key: "tqdm", kind: "added", to: "tqdm>=4" }],
    },
    {
      title: "an apt package pinned",
      change: { apt: ["curl=7.88.1-10"] },
      expected: [{ part: "apt", key: "curl", kind: "changed", from: "curl", to: "curl=7.88.1-10" }],
    },
    {
      title: "a variable changed and one added",
      change: { variables: { MODE: "serve", PORT: "8080" } },
      expected: [
        { part: "variables", key: "MODE", kind: "changed", from: "train", to: "serve" },
        { part: "variables", key: "PORT", kind: "added", to: "8080" },
      ],
    },
    {
      title: "the base image changed",
      change: {
        base: {
          kind: "image",
          image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "trixie" },
          defaulted: false,
        },
      },
      expected: [
        {
          part: "base",
          key: "base",
          kind: "changed",
          from: "image 127.0.0.1:5000/envforge/debian:bookworm",
          to: "image 127.0.0.1:5000/envforge/debian:trixie",
        },
      ],
    },
    {
      title: "the platform changed",
      change: { platform: "linux-aarch64" },
      expected: [
        {
          part: "platform",
          key: "platform",
          kind: "changed",
          from: "linux-64",
          to: "linux-aarch64",
        },
      ],
    },
    {
      title: "only metadata changed (never a difference)",
      change: { description: "other", tags: { team: "x" }, name: "renamed" },
      expected: [],
    },
    {
      title: "the same specs in another order (not a difference)",
      change: { conda: { ...base.conda!, dependencies: ["numpy>=1.26", "python=3.11"] } },
      expected: [],
    },
  ];

  it.each(cases)("$title", ({ change, expected }) => {
    const diff = diffVersions({ definition: base }, { definition: { ...base, ...change } });
    expect(diff.definition).toEqual(expected);
    expect(diff.same).toBe(expected.length === 0);
  });

  it("tells a reordering of the same channels as one change of their order", () => {
    const a = { ...base, conda: { ...base.conda!, channels: ["conda-forge", "bioconda"] } };
    const b = { ...base, conda: { ...base.conda!, channels: ["bioconda", "conda-forge"] } };
    expect(diffVersions({ definition: a }, { definition: b }).definition).toEqual([
      {
        part: "channels",
        key: "order",
        kind: "changed",
        from: "conda-forge, bioconda",
        to: "bioconda, conda-forge",
      },
    ]);
  });
});

describe("diffVersions: the lock", () => {
  const before = lock({
    conda: [conda("numpy", "1.26.4", "py311_0"), conda("zlib", "1.3.1")],
    pip: [{ name: "requests", version: "2.31.0", url: "u", sha256: "0".repeat(64) }],
  });
  const cases: { title: string; after: Lock; expected: unknown[] }[] = [
    {
      title: "a package changed in version",
      after: lock({
        conda: [conda("numpy", "2.0.0", "py311_0"), conda("zlib", "1.3.1")],
        pip: before.platforms[0]!.pip,
      }),
      expected: [
        {
          manager: "conda",
          platform: "linux-64",
          name: "numpy",
          kind: "changed",
          from: { version: "1.26.4", build: "py311_0" },
          to: { version: "2.0.0", build: "py311_0" },
        },
      ],
    },
    {
      title: "a package changed in build only",
      after: lock({
        conda: [conda("numpy", "1.26.4", "py311_1"), conda("zlib", "1.3.1")],
        pip: before.platforms[0]!.pip,
      }),
      expected: [
        {
          manager: "conda",
          platform: "linux-64",
          name: "numpy",
          kind: "changed",
          from: { version: "1.26.4", build: "py311_0" },
          to: { version: "1.26.4", build: "py311_1" },
        },
      ],
    },
    {
      title: "a package added and one removed",
      after: lock({
        conda: [conda("numpy", "1.26.4", "py311_0"), conda("xz", "5.4.6")],
        pip: before.platforms[0]!.pip,
      }),
      expected: [
        {
          manager: "conda",
          platform: "linux-64",
          name: "xz",
          kind: "added",
          to: { version: "5.4.6", build: "h0_0" },
        },
        {
          manager: "conda",
          platform: "linux-64",
          name: "zlib",
          kind: "removed",
          from: { version: "1.3.1", build: "h0_0" },
        },
      ],
    },
    {
      title: "a pip distribution changed in version",
      after: lock({
        conda: before.platforms[0]!.conda,
        pip: [{ name: "requests", version: "2.32.0", url: "u", sha256: "1".repeat(64) }],
      }),
      expected: [
        {
          manager: "pip",
          platform: "linux-64",
          name: "requests",
          kind: "changed",
          from: { version: "2.31.0" },
          to: { version: "2.32.0" },
        },
      ],
    },
  ];

  it.each(cases)("$title", ({ after, expected }) => {
    const diff = diffVersions(
      { definition: base, lock: before },
      { definition: base, lock: after },
    );
    expect(diff.lock.changes).toEqual(expected);
    expect(diff.lock.compared).toBe(true);
    expect(diff.same).toBe(false);
  });

  it("is the same for equal locks", () => {
    const diff = diffVersions(
      { definition: base, lock: before },
      { definition: base, lock: before },
    );
    expect(diff).toEqual({ same: true, definition: [], lock: { compared: true, changes: [] } });
  });

  it("tells a changed base image digest", () => {
    const a = lock({}, { baseImageDigest: "sha256:" + "a".repeat(64) });
    const b = lock({}, { baseImageDigest: "sha256:" + "b".repeat(64) });
    const diff = diffVersions({ definition: base, lock: a }, { definition: base, lock: b });
    expect(diff.lock.baseImageDigest).toEqual({
      from: "sha256:" + "a".repeat(64),
      to: "sha256:" + "b".repeat(64),
    });
    expect(diff.same).toBe(false);
  });

  it("tells an apt package pinned to another version, one added and one removed", () => {
    const a = lock({
      apt: [
        { name: "curl", version: "7.88.1-10" },
        { name: "git", version: "1:2.39.5-0" },
      ],
    });
    const b = lock({
      apt: [
        { name: "curl", version: "7.88.1-10+deb12u8" },
        { name: "wget", version: "1.21.3-1" },
      ],
    });
    const diff = diffVersions({ definition: base, lock: a }, { definition: base, lock: b });
    expect(diff.lock.changes).toEqual([
      {
        manager: "apt",
        platform: "linux-64",
        name: "curl",
        kind: "changed",
        from: { version: "7.88.1-10" },
        to: { version: "7.88.1-10+deb12u8" },
      },
      {
        manager: "apt",
        platform: "linux-64",
        name: "git",
        kind: "removed",
        from: { version: "1:2.39.5-0" },
      },
      {
        manager: "apt",
        platform: "linux-64",
        name: "wget",
        kind: "added",
        to: { version: "1.21.3-1" },
      },
    ]);
    expect(diff.same).toBe(false);
  });

  it("tells a VCS requirement pinned to another commit, once for all platforms", () => {
    const pin = (commit: string) => ({
      name: "mylib",
      requirement: "mylib @ git+https://example.invalid/mylib.git@main",
      vcs: "git" as const,
      url: "https://example.invalid/mylib.git",
      commit,
    });
    const a = lock({}, { vcs: [pin("a".repeat(40))] });
    const b = lock({}, { vcs: [pin("b".repeat(40))] });
    const diff = diffVersions({ definition: base, lock: a }, { definition: base, lock: b });
    expect(diff.lock.changes).toEqual([
      {
        manager: "vcs",
        platform: "all",
        name: "mylib",
        kind: "changed",
        from: { version: "a".repeat(40) },
        to: { version: "b".repeat(40) },
      },
    ]);
    expect(diff.same).toBe(false);
  });

  it("tells a user Dockerfile's FROM image at another digest", () => {
    const from = (digest: string) => ({ baseImages: [{ reference: "python:3.11-slim", digest }] });
    const a = lock({}, from("sha256:" + "c".repeat(64)));
    const b = lock({}, from("sha256:" + "d".repeat(64)));
    const diff = diffVersions({ definition: base, lock: a }, { definition: base, lock: b });
    expect(diff.lock.changes).toEqual([
      {
        manager: "image",
        platform: "all",
        name: "python:3.11-slim",
        kind: "changed",
        from: { version: "sha256:" + "c".repeat(64) },
        to: { version: "sha256:" + "d".repeat(64) },
      },
    ]);
  });

  it("does not compare when one side has no lock, and calls that a difference", () => {
    const diff = diffVersions({ definition: base }, { definition: base, lock: before });
    expect(diff.lock).toEqual({ compared: false, changes: [] });
    expect(diff.same).toBe(false);
  });
});
