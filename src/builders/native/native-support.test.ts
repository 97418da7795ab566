import { describe, expect, it } from "vitest";
import type { Definition } from "../../definition/definition.js";
import { nativeBuildProblems } from "./native-support.js";

const base: Definition = {
  kind: "envforge",
  tags: {},
  base: {
    kind: "image",
    image: { registry: "127.0.0.1:5000", repository: "envforge/debian", tag: "bookworm" },
    defaulted: false,
  },
  apt: [],
  variables: {},
  platform: "linux-64",
  python: { userManagedDependencies: false, interpreterPath: "python" },
};
const recipe = { packageGroups: [], pipLayers: [] };

describe("what the native builder refuses", () => {
  it.each<
    [string, Partial<Definition>, Partial<Parameters<typeof nativeBuildProblems>[2]>, string[]]
  >([
    ["an image base and nothing else", {}, {}, []],
    ["apt packages", { apt: ["curl"] }, {}, ["apt"]],
    [
      "a Dockerfile",
      { base: { kind: "dockerfile", dockerfile: "FROM x\nRUN y\n" } },
      {},
      ["dockerfile"],
    ],
    [
      "a base named without a registry",
      {
        base: {
          kind: "image",
          image: { repository: "debian", tag: "bookworm-slim" },
          defaulted: true,
        },
      },
      {},
      ["image"],
    ],
    ["pip run in the image", {}, { pipRequirements: "wheel\n" }, ["pip"]],
    [
      "a VCS requirement in envforge's pip list",
      {
        pip: {
          requirements: [
            {
              name: "x",
              requirement: "x @ git+https://127.0.0.1:9/x.git@v1",
              hashes: [],
              vcs: { vcs: "git", url: "https://127.0.0.1:9/x.git", ref: "v1" },
            },
          ],
          constraints: [],
          extraIndexUrls: [],
          findLinks: [],
          pre: false,
        },
      },
      {},
      ["pip"],
    ],
    [
      "a bare VCS URL in a conda pip: list",
      {
        conda: {
          channels: [],
          dependencies: ["python=3.11", "pip"],
          pip: ["git+https://127.0.0.1:9/dask/distributed"],
          variables: {},
        },
      },
      {},
      ["pip"],
    ],
  ])("%s", (_, definition, parts, keys) => {
    const problems = nativeBuildProblems({ ...base, ...definition }, undefined, {
      ...recipe,
      ...parts,
    });
    expect(problems.map((p) => p.key)).toEqual(keys);
    for (const problem of problems) {
      expect(problem.message).toMatch(/Docker builder|ENVFORGE_BUILDER=docker/);
    }
  });
});

describe("a VCS requirement on the native builder", () => {
  it("is refused by name, pointing to the Docker builder", () => {
    const problems = nativeBuildProblems(
      {
        ...base,
        conda: {
          channels: [],
          dependencies: ["python=3.11", "pip"],
          pip: [
            "clip @ git+https://u:secret@127.0.0.1:9/openai/CLIP.git",
            "-e git+https://127.0.0.1:9/dask/distributed#egg=distributed",
          ],
          variables: {},
        },
      },
      undefined,
      recipe,
    );
    expect(problems).toEqual([
      {
        key: "pip",
        message:
          "VCS requirements are built from their source at the locked commit, which the native builder does not do: ENVFORGE_BUILDER=docker (or --builder docker)",
        found:
          '"clip @ git+https://u:****@127.0.0.1:9/openai/CLIP.git", "-e git+https://127.0.0.1:9/dask/distributed#egg=distributed"',
        allowed: "requirements from an index (wheels)",
      },
    ]);
  });
});

describe("a lock of several platforms on the native builder", () => {
  const platform = (name: string) => ({ platform: name, virtualPackages: [], conda: [], pip: [] });
  const lockOf = (...names: string[]) => ({
    version: 1 as const,
    definitionHash: "envforge_00000000000000000000000000000000",
    channels: [],
    platforms: names.map(platform),
  });

  it.each<[string, string[], Partial<Parameters<typeof nativeBuildProblems>[2]>, string[]]>([
    ["conda content for linux-64 and linux-aarch64", ["linux-64", "linux-aarch64"], {}, []],
    [
      "pip requirements locked for the definition's platform",
      ["linux-64", "linux-aarch64"],
      {
        pipRequirements: "wheel==0.38.4\n",
        pipLayers: [{ name: "wheel", directory: "envforge/pip/wheel/", packages: [] }],
      },
      ["pip"],
    ],
    ["a platform with no Linux image", ["linux-64", "osx-arm64"], {}, ["platforms"]],
    ["no lock of the definition's platform", ["linux-aarch64", "linux-ppc64le"], {}, ["platforms"]],
  ])("%s", (_, platforms, parts, keys) => {
    const problems = nativeBuildProblems(base, lockOf(...platforms), { ...recipe, ...parts });
    expect(problems.map((p) => p.key)).toEqual(keys);
  });

  it("names the platforms and what is allowed", () => {
    expect(nativeBuildProblems(base, lockOf("linux-64", "osx-arm64"), recipe)).toEqual([
      {
        key: "platforms",
        message: "the lock holds a platform no Linux image is made for",
        found: "osx-arm64",
        allowed: "linux-64, linux-aarch64, linux-armv7l, linux-ppc64le, linux-s390x, linux-32",
      },
    ]);
  });
});
