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
