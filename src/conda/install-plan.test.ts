import { describe, expect, it } from "vitest";
import type { Lock, LockedCondaPackage } from "../definition/lock.js";
import { checkTargetPrefix, planInstall, selectPlatform } from "./install-plan.js";
import type { Prepared } from "./install-plan.js";
import { pythonInfoOf } from "./noarch-python.js";

function prepared(
  name: string,
  paths: string[],
  extra: Partial<LockedCondaPackage> = {},
  entryPoints: string[] = [],
): Prepared {
  const pkg: LockedCondaPackage = {
    name,
    version: "1.0",
    build: "0",
    buildNumber: 0,
    channel: "c",
    subdir: "noarch",
    filename: `${name}-1.0-0.conda`,
    url: `http://127.0.0.1/c/noarch/${name}-1.0-0.conda`,
    sha256: "a".repeat(64),
    depends: [],
    constrains: [],
    ...extra,
  };
  return {
    pkg,
    files: {
      index: {
        name,
        version: "1.0",
        build: "0",
        buildNumber: 0,
        depends: [],
        constrains: [],
        raw: {},
      },
      paths: paths.map((path) => ({ path, pathType: "hardlink" })),
      entryPoints,
      source: "paths.json",
    },
    extractedDir: `/cache/${name}`,
    fetched: false,
    warnings: [],
  };
}

const lock = (platforms: string[]): Lock => ({
  version: 1,
  definitionHash: "envforge_x",
  channels: [],
  platforms: platforms.map((platform) => ({ platform, virtualPackages: [], conda: [], pip: [] })),
});

describe("selectPlatform", () => {
  it("takes the only platform, or the one asked for", () => {
    expect(selectPlatform(lock(["linux-64"]), undefined).platform).toBe("linux-64");
    expect(selectPlatform(lock(["linux-64", "osx-arm64"]), "osx-arm64").platform).toBe("osx-arm64");
  });

  it.each([
    [
      ["linux-64", "osx-arm64"],
      undefined,
      "platform: the lock has several platforms; say which one to install (allowed: linux-64, osx-arm64)",
    ],
    [
      ["linux-64"],
      "win-64",
      "platform: the lock has no such platform (found win-64; allowed: linux-64)",
    ],
    [[], undefined, "platform: the lock has no platforms (allowed: (the lock has no platforms))"],
  ])("refuses %j / %s", (platforms, wanted, message) => {
    expect(() => selectPlatform(lock(platforms), wanted)).toThrow(message);
  });
});

describe("checkTargetPrefix", () => {
  it.each([
    ["/opt/envforge/envs/x/", "/opt/envforge/envs/x"],
    ["/opt//x", "/opt/x"],
  ])("normalizes %s", (input, output) => expect(checkTargetPrefix(input)).toBe(output));

  it.each(["relative/env", "/", "/a\nb"])("refuses %j", (input) => {
    expect(() => checkTargetPrefix(input)).toThrow(
      `target-prefix: the target prefix must be an absolute POSIX path, not / (found ${JSON.stringify(input)}; allowed: e.g. /opt/envforge/envs/myenv)`,
    );
  });
});

describe("planInstall", () => {
  it("relocates noarch python, adds entry points and counts them in clobbers", () => {
    const plan = planInstall(
      [
        prepared("tool", ["bin/hello"]),
        prepared("hello", ["site-packages/hello.py"], { noarch: "python", depends: ["tool"] }, [
          "hello = hello:main",
        ]),
      ],
      pythonInfoOf("3.12.1"),
      "/env",
    );
    expect(plan.plans.map((p) => p.item.pkg.name)).toEqual(["tool", "hello"]);
    expect(plan.plans[1]?.paths.map((p) => p.target)).toEqual([
      "lib/python3.12/site-packages/hello.py",
    ]);
    expect(plan.plans[1]?.scripts.map((s) => s.target)).toEqual(["bin/hello"]);
    expect(plan.clobbers).toEqual([{ path: "bin/hello", winner: "hello", losers: ["tool"] }]);
  });

  it("refuses a noarch python package when the lock has no python", () => {
    expect(() =>
      planInstall([prepared("hello", [], { noarch: "python" })], undefined, "/env"),
    ).toThrow(
      "conda: hello-1.0-0 is a noarch: python package, but the lock has no python package to install it for (found hello-1.0-0; allowed: a lock that includes python)",
    );
  });
});
