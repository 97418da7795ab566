import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Lock, LockedCondaPackage } from "../definition/lock.js";
import {
  BUCKETS,
  LARGE_PACKAGE_BYTES,
  MAX_LARGE_GROUPS,
  bucketOf,
  packageGroups,
} from "./package-groups.js";
import type { PackageGroup } from "./recipe.js";

function pkg(name: string, options: { size?: number; version?: string } = {}): LockedCondaPackage {
  const version = options.version ?? "1.0";
  return {
    name,
    version,
    build: "0",
    buildNumber: 0,
    channel: "conda-forge",
    subdir: "linux-64",
    filename: `${name}-${version}-0.conda`,
    url: `http://127.0.0.1:8000/linux-64/${name}-${version}-0.conda`,
    sha256: "0".repeat(64),
    size: options.size ?? 1000,
    depends: [],
    constrains: [],
  };
}

function lockOf(conda: readonly LockedCondaPackage[]): Lock {
  return {
    version: 1,
    definitionHash: "envforge_00000000000000000000000000000000",
    channels: [],
    platforms: [{ platform: "linux-64", virtualPackages: [], conda, pip: [] }],
  };
}

function groupsOf(conda: readonly LockedCondaPackage[]): PackageGroup[] {
  return packageGroups({ lock: lockOf(conda), platform: "linux-64" });
}

/** Groups whose member list differs between two groupings (by group name). */
function changedGroups(a: readonly PackageGroup[], b: readonly PackageGroup[]): string[] {
  const names = new Set([...a, ...b].map((g) => g.name));
  const members = (gs: readonly PackageGroup[], name: string): string =>
    JSON.stringify(gs.find((g) => g.name === name)?.packages ?? []);
  return [...names].filter((name) => members(a, name) !== members(b, name)).sort();
}

const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/), {
  minLength: 1,
  maxLength: 40,
});

describe("packageGroups", () => {
  it("puts everything in one group, filled at build time, without a lock", () => {
    expect(packageGroups({ platform: "linux-64" })).toEqual([
      { name: "all", directory: "envforge/prefix/all/", packages: [] },
    ]);
  });

  it("keeps the runtime first, large packages alone, and the rest in hashed buckets", () => {
    const groups = groupsOf([
      pkg("python"),
      pkg("openssl"),
      pkg("pytorch", { size: 2 * LARGE_PACKAGE_BYTES }),
      pkg("numpy"),
      pkg("requests"),
    ]);
    expect(groups[0]).toMatchObject({ name: "runtime", directory: "envforge/prefix/runtime/" });
    expect(groups[0]?.packages.map((p) => p.name)).toEqual(["openssl", "python"]);
    expect(groups[1]).toMatchObject({ name: "large-pytorch" });
    for (const name of ["numpy", "requests"]) {
      const group = groups.find((g) => g.packages.some((p) => p.name === name));
      expect(group?.name).toBe(`group-${bucketOf(name)}`);
    }
    expect(groups.every((g) => g.packages.length > 0)).toBe(true);
  });

  it(`gives at most ${MAX_LARGE_GROUPS} packages a layer of their own, the largest ones`, () => {
    const large = Array.from({ length: MAX_LARGE_GROUPS + 2 }, (_, i) =>
      pkg(`big${i}`, { size: LARGE_PACKAGE_BYTES + i }),
    );
    const alone = groupsOf(large).filter((g) => g.name.startsWith("large-"));
    expect(alone.map((g) => g.name)).toEqual(
      Array.from({ length: MAX_LARGE_GROUPS }, (_, i) => `large-big${i + 2}`).sort(),
    );
  });

  it("spreads names over every bucket", () => {
    const buckets = new Set(Array.from({ length: 200 }, (_, i) => bucketOf(`pkg${i}`)));
    expect(buckets.size).toBe(BUCKETS);
  });

  it("changes exactly one layer when one package is added, removed or upgraded", () => {
    fc.assert(
      fc.property(names, fc.nat(), (list, pick) => {
        const packages = list.map((n) => pkg(n));
        const [first, ...rest] = packages;
        if (first === undefined) return;
        const target = packages[pick % packages.length] ?? first;
        const upgraded = packages.map((p) => (p === target ? pkg(p.name, { version: "2.0" }) : p));
        expect(changedGroups(groupsOf(rest), groupsOf(packages))).toHaveLength(1);
        expect(changedGroups(groupsOf(packages), groupsOf(upgraded))).toHaveLength(1);
      }),
    );
  });

  it("does not depend on the order of the lock", () => {
    fc.assert(
      fc.property(names, (list) => {
        const packages = list.map((n) => pkg(n));
        expect(groupsOf([...packages].reverse())).toEqual(groupsOf(packages));
      }),
    );
  });
});
