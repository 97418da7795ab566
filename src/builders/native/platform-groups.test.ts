import { describe, expect, it } from "vitest";
import type { Lock, LockedCondaPackage } from "../../definition/lock.js";
import { lockPlatforms, platformGroups } from "./platform-groups.js";

function pkg(name: string, subdir: string, size = 1000): LockedCondaPackage {
  const filename = `${name}-1.0-0.tar.bz2`;
  return {
    name,
    version: "1.0",
    build: "0",
    buildNumber: 0,
    channel: "http://127.0.0.1:9/c",
    subdir,
    filename,
    url: `http://127.0.0.1:9/c/${subdir}/${filename}`,
    sha256: "0".repeat(64),
    size,
    depends: [],
    constrains: [],
  };
}

const shared = [pkg("requests", "noarch"), pkg("tzdata", "noarch"), pkg("big-data", "noarch", 9e6)];
const lock: Lock = {
  version: 1,
  definitionHash: "envforge_00000000000000000000000000000000",
  channels: ["http://127.0.0.1:9/c"],
  platforms: [
    {
      platform: "linux-aarch64",
      virtualPackages: [],
      conda: [...shared, pkg("python", "linux-aarch64"), pkg("numpy", "linux-aarch64")],
      pip: [],
    },
    {
      platform: "linux-64",
      virtualPackages: [],
      conda: [
        ...shared,
        pkg("python", "linux-64"),
        pkg("numpy", "linux-64"),
        pkg("mkl", "linux-64", 9e6),
      ],
      pip: [],
    },
  ],
};

const layout = (platform: string): [string, string[]][] =>
  platformGroups(lock, platform).map((g) => [
    g.name,
    g.packages.map((p) => `${p.name}/${p.subdir}`),
  ]);

describe("the layers of one platform in a build for several", () => {
  it("puts conda-meta/history first, then the platform's packages, then its noarch ones by the recipe's rule", () => {
    const amd64 = layout("linux-64");
    expect(amd64[0]).toEqual(["conda-meta-history", []]);
    expect(amd64).toContainEqual(["runtime", ["python/linux-64"]]);
    expect(amd64).toContainEqual(["large-mkl", ["mkl/linux-64"]]);
    // tzdata is a runtime package, so its noarch part is the noarch runtime group.
    expect(amd64).toContainEqual(["noarch-runtime", ["tzdata/noarch"]]);
    expect(amd64).toContainEqual(["noarch-large-big-data", ["big-data/noarch"]]);
    const names = amd64.map(([name]) => name);
    const firstNoarch = names.findIndex((name) => name.startsWith("noarch-"));
    expect(names.slice(firstNoarch).every((name) => name.startsWith("noarch-"))).toBe(true);
    expect(names.slice(1, firstNoarch).some((name) => name.startsWith("noarch-"))).toBe(false);
  });

  it("gives the platforms the same noarch groups, whatever else they hold", () => {
    const noarch = (platform: string) =>
      layout(platform).filter(
        ([name]) => name === "conda-meta-history" || name.startsWith("noarch-"),
      );
    expect(noarch("linux-aarch64")).toEqual(noarch("linux-64"));
    expect(
      noarch("linux-64")
        .flatMap(([, packages]) => packages)
        .sort(),
    ).toEqual(["big-data/noarch", "requests/noarch", "tzdata/noarch"]);
    // No package of a platform lands in a noarch group, and every package has a group.
    for (const platform of ["linux-64", "linux-aarch64"]) {
      const placed = platformGroups(lock, platform).flatMap((g) => g.packages.map((p) => p.name));
      expect(placed.sort()).toEqual(
        (lock.platforms.find((p) => p.platform === platform)?.conda ?? [])
          .map((p) => p.name)
          .sort(),
      );
    }
  });

  it("lists the lock's platforms sorted, once each", () => {
    expect(lockPlatforms(lock)).toEqual(["linux-64", "linux-aarch64"]);
    expect(lockPlatforms(undefined)).toEqual([]);
  });
});
