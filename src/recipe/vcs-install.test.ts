import { describe, expect, it } from "vitest";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import { imageHash } from "../definition/image-hash.js";
import type { Lock, LockedVcsPackage } from "../definition/lock.js";
import { ValidationError } from "../errors/index.js";
import { LOCKED_CONDA, RECIPE_CASES, lockFor } from "./__fixtures__/definitions.js";
import { makeRecipe } from "./make-recipe.js";

const base = RECIPE_CASES.find((c) => c.name === "conda-default-image")?.definition;
if (base?.conda === undefined) throw new Error("fixture conda-default-image is missing");

const SHA = "0123456789abcdef0123456789abcdef01234567";
const LINE = "vcsdemo @ git+https://user:secret@127.0.0.1:9/org/vcsdemo.git@v1#subdirectory=py";
const KEY = "vcsdemo @ git+https://127.0.0.1:9/org/vcsdemo.git@v1#subdirectory=py";
const definition: Definition = {
  ...base,
  conda: {
    ...base.conda,
    pip: [...base.conda.pip, LINE, "-e git+https://127.0.0.1:9/two#egg=two"],
  },
};
const PINS: LockedVcsPackage[] = [
  {
    name: "vcsdemo",
    requirement: KEY,
    vcs: "git",
    url: "https://127.0.0.1:9/org/vcsdemo.git",
    commit: SHA,
    subdirectory: "py",
  },
  {
    name: "two",
    requirement: "git+https://127.0.0.1:9/two#egg=two",
    vcs: "git",
    url: "https://127.0.0.1:9/two",
    commit: "f".repeat(40),
  },
];

function lockWith(vcs: readonly LockedVcsPackage[] | undefined, conda?: readonly string[]): Lock {
  const lock = lockFor(definition, {
    conda: conda ?? LOCKED_CONDA.map((p) => p.name),
    pip: ["requests"],
  });
  return vcs === undefined ? lock : { ...lock, vcs };
}

function recipe(lock: Lock) {
  return makeRecipe(definition, { definitionHash: definitionHash(definition), lock });
}

describe("VCS requirements in the recipe", () => {
  it("mounts each pinned source into a pip step of the image's python, after the wheels", () => {
    const made = recipe(lockWith(PINS));
    expect(made.vcsSources.map((s) => [s.name, s.directory, s.pin.commit])).toEqual([
      ["two", "envforge/vcs/two/", "f".repeat(40)],
      ["vcsdemo", "envforge/vcs/vcsdemo/", SHA],
    ]);
    const lines = made.dockerfile.split("\n");
    const wheels = lines.indexOf("COPY envforge/pip/requests/ /");
    const vcs = lines.findIndex((l) => l.startsWith("RUN --mount=type=bind"));
    expect(wheels).toBeGreaterThan(0);
    expect(vcs).toBeGreaterThan(wheels);
    expect(made.dockerfile).toContain(
      [
        "RUN --mount=type=bind,source=envforge/vcs/vcsdemo/,target=/tmp/envforge/vcs/vcsdemo,rw \\",
        "    /opt/envforge/env/bin/python -m pip install --no-deps --no-index --no-build-isolation --no-cache-dir --disable-pip-version-check --no-input /tmp/envforge/vcs/vcsdemo/py",
      ].join("\n"),
    );
    expect(made.context.filter((e) => e.source === "vcs-source").map((e) => e.path)).toEqual([
      "envforge/vcs/two/",
      "envforge/vcs/vcsdemo/",
    ]);
    // Credentials stay in the definition: never in the Dockerfile, the files or the context.
    expect(JSON.stringify(made)).not.toContain("secret");
  });

  it("gives a new commit a new image hash, and a lock without VCS pins its old one", () => {
    const hash = definitionHash(definition);
    const moved = PINS.map((p) => (p.name === "vcsdemo" ? { ...p, commit: "e".repeat(40) } : p));
    expect(imageHash(hash, { ...lockWith(PINS), definitionHash: hash })).not.toBe(
      imageHash(hash, { ...lockWith(moved), definitionHash: hash }),
    );
    const plain = lockFor(definition, { conda: ["python"] });
    expect(imageHash(hash, { ...plain, vcs: undefined })).toBe(imageHash(hash, plain));
  });

  it("refuses a lock that lacks a pin, or pins a line the definition does not have", () => {
    const error = (() => {
      try {
        recipe(
          lockWith([
            PINS[0] as LockedVcsPackage,
            {
              ...(PINS[1] as LockedVcsPackage),
              requirement: "gone @ git+https://127.0.0.1:9/gone",
            },
          ]),
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => [p.key, p.found])).toEqual([
      [
        "lock.vcs",
        'VCS requirement "git+https://127.0.0.1:9/two#egg=two" has no pinned commit in the lock',
      ],
      [
        "lock.vcs",
        'the lock pins VCS requirement "gone @ git+https://127.0.0.1:9/gone", which the definition does not have',
      ],
    ]);
  });

  it("refuses to build VCS requirements when the locked environment has python but no pip", () => {
    expect(() => recipe(lockWith(PINS, ["python", "openssl"]))).toThrow(
      "VCS requirements are built from source by the environment's own pip, and the lock has no pip",
    );
  });

  it("asks no wheel of a VCS requirement: a lock of only VCS pins is whole", () => {
    const onlyVcs: Definition = { ...definition, conda: { ...definition.conda!, pip: [LINE] } };
    const lock: Lock = {
      ...lockFor(onlyVcs, { conda: LOCKED_CONDA.map((p) => p.name) }),
      vcs: [PINS[0] as LockedVcsPackage],
    };
    const made = makeRecipe(onlyVcs, { definitionHash: definitionHash(onlyVcs), lock });
    expect(made.vcsSources).toHaveLength(1);
  });
});
