import { describe, expect, it } from "vitest";
import { compileCacheDir, packCandidates, packName } from "./bundle-loader.js";

const build = `b-node${process.version}-${process.arch}`;
const home = () => "/home/u";

describe("compileCacheDir", () => {
  it.each([
    ["XDG_CACHE_HOME", { XDG_CACHE_HOME: "/c" }, `/c/envforge/compile-cache/${build}`],
    ["~/.cache without it", {}, `/home/u/.cache/envforge/compile-cache/${build}`],
    [
      "~/.cache for an empty one",
      { XDG_CACHE_HOME: " " },
      `/home/u/.cache/envforge/compile-cache/${build}`,
    ],
    [
      "~/.cache for a relative one (XDG)",
      { XDG_CACHE_HOME: "c" },
      `/home/u/.cache/envforge/compile-cache/${build}`,
    ],
    ["none with NODE_DISABLE_COMPILE_CACHE=1", { NODE_DISABLE_COMPILE_CACHE: "1" }, undefined],
  ])("%s", (_name, env, expected) => {
    expect(compileCacheDir(env, "b", home)).toBe(expected);
  });
});

describe("packCandidates", () => {
  it.each([
    [["hash", "examples/pytorch/environment.yml"], ["pack-hash.js"]],
    [
      ["env", "build", "pytorch@3", "--json"],
      ["pack-env+build.js", "pack-env.js"],
    ],
    [
      ["run", "pytorch", "--", "python"],
      ["pack-run+pytorch.js", "pack-run.js"],
    ],
    [
      ["build", "logs", "0c7c5e96-be02"],
      ["pack-build+logs.js", "pack-build.js"],
    ],
    [["--version"], []],
    [["--help", "env"], []],
    [["env", "--help"], ["pack-env.js"]],
    [["Env", "list"], []],
    [[], []],
  ])("%j: %j", (argv, expected) => {
    expect(packCandidates(argv)).toEqual(expected);
  });
});

describe("packName", () => {
  it("names a command's pack by its words, and none for anything else", () => {
    expect(packName(["env", "build"])).toBe("pack-env+build.js");
    expect(packName(["hash"])).toBe("pack-hash.js");
    expect(packName([])).toBeUndefined();
    expect(packName(["../x"])).toBeUndefined();
  });
});
