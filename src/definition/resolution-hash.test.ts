import { describe, expect, it } from "vitest";
import { definitionFromConda } from "./assemble-definition.js";
import { parseCondaEnvironment } from "./conda-environment.js";
import { definitionHash } from "./definition-hash.js";
import type { Definition, ParseSettings } from "./definition.js";
import { bindLock, lockKeyProblems } from "./lock-binding.js";
import type { LockContent } from "./lock.js";
import { resolutionChanges, resolutionHash, resolutionKey } from "./resolution-hash.js";

const SETTINGS: ParseSettings = {
  defaultBaseImage: "127.0.0.1:5000/envforge/debian:bookworm",
  defaultPythonVersion: "3.11",
  defaultPlatform: "linux-64",
};

const ENV = `name: train
channels: [defaults]
dependencies:
  - python=3.11
  - numpy >=1.2
  - scipy
  - pip:
    - requests>=2
`;

function conda(text: string, extra: Partial<Pick<Definition, "variables">> = {}): Definition {
  const definition = definitionFromConda(
    { conda: parseCondaEnvironment({ path: "env.yml", text }) },
    SETTINGS,
  );
  return { ...definition, ...extra };
}

function lockOf(definition: Definition): LockContent {
  return {
    version: 2,
    resolution: resolutionKey(definition),
    channels: [],
    platforms: [{ platform: "linux-64", virtualPackages: [], conda: [], pip: [] }],
  };
}

describe("resolutionHash", () => {
  it("is kept by variables, name, description and tags, and changed by what resolution reads", () => {
    const base = conda(ENV);
    const hash = resolutionHash(base);
    const same = [
      conda(`${ENV}variables:\n  MODE: train\n`),
      conda(ENV.replace("name: train", "name: other")),
      { ...base, description: "changed", tags: { team: "x" } },
      { ...base, variables: { TOKENIZERS_PARALLELISM: "false" } },
    ];
    for (const definition of same) expect(resolutionHash(definition)).toBe(hash);
    // …while the definition hash (and so the image) does change with variables.
    expect(definitionHash(same[0]!)).not.toBe(definitionHash(base));

    const different = [
      conda(ENV.replace("numpy >=1.2", "numpy >=1.3")),
      conda(ENV.replace("[defaults]", "[conda-forge]")),
      conda(ENV.replace("requests>=2", "requests>=2.1")),
      conda(`${ENV}variables:\n  CONDA_OVERRIDE_CUDA: "12.1"\n`),
      { ...base, variables: { CONDA_OVERRIDE_GLIBC: "2.17" } },
      { ...base, apt: ["curl"] },
      { ...base, platform: "linux-aarch64" },
    ];
    const hashes = new Set([hash, ...different.map(resolutionHash)]);
    expect(hashes.size).toBe(different.length + 1);
  });
});

describe("resolutionChanges", () => {
  it("names each input added, removed and changed", () => {
    const before = resolutionKey(conda(ENV)).from;
    const after = resolutionKey({
      ...conda(
        ENV.replace("numpy >=1.2", "numpy >=1.3")
          .replace("  - scipy\n", "")
          .replace("    - requests>=2\n", "    - requests>=2\n    - rich\n"),
      ),
      apt: ["curl"],
      variables: { CONDA_OVERRIDE_GLIBC: "2.17" },
    }).from;
    expect(resolutionChanges(before, after)).toEqual([
      "conda spec changed: numpy >=1.2 -> numpy >=1.3",
      "conda spec removed: scipy",
      "pip requirement added: rich",
      "apt package added: curl",
      "CONDA_OVERRIDE_GLIBC changed: unset -> 2.17",
    ]);
    expect(resolutionChanges(before, before)).toEqual([]);
  });
});

describe("bindLock", () => {
  it("binds a lock to a definition that changed only in variables", () => {
    const lock = lockOf(conda(ENV));
    const changed = conda(`${ENV}variables:\n  MODE: train\n`);
    expect(bindLock(lock, changed).definitionHash).toBe(definitionHash(changed));
  });

  it("refuses a lock whose specs changed, naming each change", () => {
    const lock = lockOf(conda(ENV));
    const changed = conda(ENV.replace("numpy >=1.2", "numpy >=1.3"));
    expect(() => bindLock(lock, changed, "envforge.lock")).toThrow(
      "envforge.lock: resolvedFrom: the lock was resolved from another definition: conda spec changed: numpy >=1.2 -> numpy >=1.3",
    );
  });

  it("reads a version 1 lock by the whole definition hash", () => {
    const definition = conda(ENV);
    const v1: LockContent = {
      version: 1,
      definitionHash: definitionHash(definition),
      channels: [],
      platforms: [],
    };
    expect(lockKeyProblems(v1, definition)).toEqual([]);
    const withVariable = conda(`${ENV}variables:\n  MODE: train\n`);
    expect(lockKeyProblems(v1, withVariable)).toEqual([
      {
        key: "definitionHash",
        message: "the lock was resolved from another definition",
        found: definitionHash(definition),
        allowed: definitionHash(withVariable),
      },
    ]);
  });
});
