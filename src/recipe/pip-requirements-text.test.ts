import { describe, expect, it } from "vitest";
import type { Definition, PipRequirements } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { pipFiles } from "./pip-requirements-text.js";

const HASH = "envforge_0123456789abcdef0123456789abcdef";
const NO_PIP: PipRequirements = {
  requirements: [],
  constraints: [],
  extraIndexUrls: [],
  findLinks: [],
  pre: false,
};

function definition(subList: readonly string[], pip?: Partial<PipRequirements>): Definition {
  return {
    kind: "envforge",
    tags: {},
    base: { kind: "image", image: { repository: "debian" }, defaulted: true },
    conda: {
      channels: ["conda-forge"],
      dependencies: ["python=3.11", "pip"],
      pip: subList,
      variables: {},
    },
    ...(pip === undefined ? {} : { pip: { ...NO_PIP, ...pip } }),
    apt: [],
    variables: {},
    platform: "linux-64",
    python: { userManagedDependencies: false, interpreterPath: "python" },
  };
}

describe("pipFiles", () => {
  it("is absent when nothing is installed with pip, even with options", () => {
    expect(pipFiles({ definition: definition(["--pre"]), definitionHash: HASH })).toBeUndefined();
  });

  it("writes options in order, then constraints, then requirements sorted with their hashes", () => {
    const files = pipFiles({
      definition: definition(["zeta", "--find-links http://127.0.0.1/wheels", "alpha"], {
        requirements: [{ name: "mid", requirement: "mid==1", hashes: ["sha256:aa", "sha256:bb"] }],
        constraints: [{ name: "c", requirement: "c<2", hashes: [] }],
        indexUrl: "http://u:p@127.0.0.1/simple",
        extraIndexUrls: ["http://127.0.0.1:2/b", "http://127.0.0.1:1/a"],
        findLinks: ["http://127.0.0.1/links"],
        pre: true,
      }),
      definitionHash: HASH,
    });
    expect(files).toEqual({
      requirements: [
        `# pip requirements of ${HASH}`,
        "--index-url http://127.0.0.1/simple",
        "--extra-index-url http://127.0.0.1:2/b",
        "--extra-index-url http://127.0.0.1:1/a",
        "--find-links http://127.0.0.1/links",
        "--pre",
        "--find-links http://127.0.0.1/wheels",
        "-c constraints.txt",
        "alpha",
        "mid==1 --hash=sha256:aa --hash=sha256:bb",
        "zeta",
        "",
      ].join("\n"),
      constraints: `# pip constraints of ${HASH}\nc<2\n`,
      pinned: false,
    });
  });

  it("pins the lock's distributions of the definition's platform and ignores index options", () => {
    const lock: Lock = {
      version: 1,
      definitionHash: HASH,
      channels: [],
      platforms: [
        {
          platform: "linux-aarch64",
          virtualPackages: [],
          conda: [],
          pip: [
            { name: "other", version: "9", url: "http://127.0.0.1/o.whl", sha256: "f".repeat(64) },
          ],
        },
        {
          platform: "linux-64",
          virtualPackages: [],
          conda: [],
          pip: [
            {
              name: "zeta",
              version: "2",
              url: "http://t:secret@127.0.0.1/zeta-2.whl",
              sha256: "b".repeat(64),
            },
            {
              name: "alpha",
              version: "1",
              url: "http://127.0.0.1/alpha-1.whl",
              sha256: "a".repeat(64),
            },
          ],
        },
      ],
    };
    const files = pipFiles({
      definition: definition(["alpha", "zeta"], { indexUrl: "http://127.0.0.1/simple" }),
      definitionHash: HASH,
      lock,
    });
    expect(files).toEqual({
      requirements: [
        `# pip distributions of ${HASH}, pinned by its lock; installed with --no-deps`,
        `alpha @ http://127.0.0.1/alpha-1.whl --hash=sha256:${"a".repeat(64)}`,
        `zeta @ http://127.0.0.1/zeta-2.whl --hash=sha256:${"b".repeat(64)}`,
        "",
      ].join("\n"),
      pinned: true,
    });
  });
});
