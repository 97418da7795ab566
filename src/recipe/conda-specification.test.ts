import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { CondaEnvironment } from "../definition/definition.js";
import { condaSpecification, needsQuotes } from "./conda-specification.js";

const NAME = "envforge_0123456789abcdef0123456789abcdef";

function fromSource(text: string): CondaEnvironment {
  return {
    channels: [],
    dependencies: [],
    pip: [],
    variables: {},
    source: { path: "env.yml", text },
  };
}

describe("condaSpecification", () => {
  it.each<[string, string, string]>([
    [
      "replaces the name in place, keeping comments",
      "# top\nname: mine # why\nchannels: [defaults]\n",
      `# top\nname: ${NAME} # why\nchannels: [ defaults ]\n`,
    ],
    [
      "adds a name first when there is none",
      "channels:\n  - defaults\ndependencies:\n  - python=3.11\n",
      `name: ${NAME}\nchannels:\n  - defaults\ndependencies:\n  - python=3.11\n`,
    ],
    [
      "drops prefix, wherever it is",
      "prefix: /home/me/env\nname: x\ndependencies: [python]\n",
      `name: ${NAME}\nchannels:\n  - defaults\ndependencies: [ python ]\n`,
    ],
    [
      "shows conda's default channels when none are written (an empty list too)",
      "name: x\nchannels: []\ndependencies: [python]\n",
      `name: ${NAME}\nchannels:\n  - defaults\ndependencies: [ python ]\n`,
    ],
    [
      "keeps nodefaults as written",
      "channels: [conda-forge, nodefaults]\ndependencies: [python]\n",
      `name: ${NAME}\nchannels: [ conda-forge, nodefaults ]\ndependencies: [ python ]\n`,
    ],
    [
      "removes credentials from channels and pip options",
      "channels:\n  - https://u:pw@127.0.0.1/private\n  - https://127.0.0.1/t/tk-1/c\ndependencies:\n  - pip:\n      - --index-url https://bot:tok@127.0.0.1/simple\n",
      `name: ${NAME}\nchannels:\n  - https://127.0.0.1/private\n  - https://127.0.0.1/c\ndependencies:\n  - pip:\n      - --index-url https://127.0.0.1/simple\n`,
    ],
  ])("%s", (_name, source, expected) => {
    expect(condaSpecification(fromSource(source), NAME)).toBe(expected);
  });

  it("generates a file that reads back as the definition, quoting what YAML 1.1 would misread", () => {
    const conda: CondaEnvironment = {
      channels: ["conda-forge", "http://u:p@127.0.0.1/c"],
      dependencies: ["python=3.11", "1.10", "yes", "on", "null", "numpy>=1.26,<2"],
      pip: ["--extra-index-url http://127.0.0.1:8080/simple", "torch==2.3.1"],
      variables: { OMP_NUM_THREADS: "1" },
    };
    const text = condaSpecification(conda, NAME);
    expect(text).toContain('  - "yes"\n  - "on"\n  - "null"\n');
    for (const version of ["1.1", "1.2"] as const) {
      expect(parse(text, { version })).toEqual({
        name: NAME,
        channels: ["conda-forge", "http://127.0.0.1/c"],
        dependencies: [
          ...conda.dependencies,
          { pip: ["--extra-index-url http://127.0.0.1:8080/simple", "torch==2.3.1"] },
        ],
        variables: { OMP_NUM_THREADS: "1" },
      });
    }
  });
});

describe("needsQuotes", () => {
  // Every value the fast path answers must get the answer a YAML 1.2 and a 1.1 reader give.
  const readBack = (value: string): boolean =>
    parse(value) !== value || parse(value, { version: "1.1" }) !== value;
  it.each([
    "numpy",
    "numpy>=1.26",
    "seed-alpha=1.0.0",
    "python=3.11.*",
    "x!=1",
    "_private",
    "conda-forge",
    "y",
    "N",
    "yes",
    "No",
    "ON",
    "off",
    "True",
    "FALSE",
    "null",
    "NULL",
    "nan",
    "inf",
    "Infinity",
    "e5",
    "E1_0",
    "e-1",
    "eel",
    "a*b",
  ])("%s: as a YAML reader takes it", (value) => {
    expect(needsQuotes(value)).toBe(readBack(value));
  });
});
