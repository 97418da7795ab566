import { describe, expect, it } from "vitest";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { aptOnBuiltBaseProblem, leftToPinAtBuild, needsLock } from "./lock-resolver.js";

const IMAGE = { registry: "127.0.0.1:5000", repository: "team/python", tag: "3.11" } as const;
const DIGEST = `sha256:${"1".repeat(64)}`;

const imagePip: Definition = {
  kind: "envforge",
  tags: {},
  base: { kind: "image", image: IMAGE, defaulted: false },
  pip: {
    requirements: [{ name: "wheel", requirement: "wheel>=0.30", hashes: [] }],
    extraIndexUrls: [],
    findLinks: [],
    constraints: [],
    pre: false,
  },
  apt: ["hello"],
  variables: {},
  platform: "linux-64",
  python: { userManagedDependencies: true, interpreterPath: "/usr/bin/python3" },
};

function lock(parts: { digest?: boolean; pip?: boolean; apt?: boolean }): Lock {
  return {
    version: 2,
    definitionHash: `envforge_${"0".repeat(32)}`,
    channels: [],
    platforms: [
      {
        platform: "linux-64",
        virtualPackages: [],
        conda: [],
        pip:
          parts.pip === true
            ? [
                {
                  name: "wheel",
                  version: "0.38.4",
                  url: "http://127.0.0.1:9/w.whl",
                  sha256: "a".repeat(64),
                },
              ]
            : [],
        ...(parts.apt === true ? { apt: [{ name: "hello", version: "2.10-3" }] } : {}),
      },
    ],
    ...(parts.digest === true ? { baseImageDigest: DIGEST } : {}),
  };
}

describe("leftToPinAtBuild", () => {
  it.each([
    [
      undefined,
      [
        "127.0.0.1:5000/team/python:3.11",
        "the pip requirements (for the image's interpreter)",
        "the apt packages",
      ],
    ],
    [
      lock({ digest: true }),
      ["the pip requirements (for the image's interpreter)", "the apt packages"],
    ],
    [lock({ digest: true, pip: true }), ["the apt packages"]],
    [lock({ digest: true, apt: true }), ["the pip requirements (for the image's interpreter)"]],
    [lock({ digest: true, pip: true, apt: true }), []],
  ] as const)("names what a build must still pin (%#)", (given, left) => {
    expect(leftToPinAtBuild(imagePip, given)).toEqual(left);
  });

  it("asks nothing of pip with a conda env, nor of apt on a Dockerfile base", () => {
    const conda: Definition = {
      ...imagePip,
      python: { ...imagePip.python, userManagedDependencies: false },
    };
    expect(leftToPinAtBuild(conda, lock({ digest: true, apt: true }))).toEqual([]);
    const dockerfile: Definition = {
      ...imagePip,
      base: { kind: "dockerfile", dockerfile: "FROM scratch\n" },
    };
    expect(leftToPinAtBuild(dockerfile, undefined)).toEqual([]);
    expect(aptOnBuiltBaseProblem(dockerfile)?.key).toBe("apt");
    expect(aptOnBuiltBaseProblem(imagePip)).toBeUndefined();
  });

  it("needs a lock for pip of the image's interpreter, as for a conda env", () => {
    expect(needsLock(imagePip)).toBe(true);
    const { pip, ...withoutPip } = imagePip;
    expect(pip).toBeDefined();
    expect(needsLock(withoutPip)).toBe(false);
  });
});
