/**
 * One rule for an apt package: what envforge.yaml and the SDK accept is exactly what the
 * recipe check lets into a Dockerfile. (They had drifted: the recipe allowed `:arch`,
 * `/release`, one-letter names and versions not starting with a digit, which no parser does.)
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import { checkAptPackage } from "../definition/definition-rules.js";
import { parseEnvforgeFile } from "../definition/envforge-file.js";
import { makeRecipe } from "./make-recipe.js";

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

/** Whether makeRecipe lets the package through, or names it as the problem. */
function recipeAccepts(name: string): boolean {
  const definition: Definition = { ...base, apt: [name] };
  try {
    makeRecipe(definition, { definitionHash: definitionHash(definition) });
    return true;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    expect(error.problems.map((problem) => problem.key)).toEqual(["apt[0]"]);
    return false;
  }
}

/** Whether envforge.yaml takes it, read by the parser users go through. */
function parserAccepts(name: string): boolean {
  try {
    parseEnvforgeFile({
      path: "envforge.yaml",
      text: `image: 127.0.0.1:5000/envforge/debian:bookworm\napt:\n  - ${JSON.stringify(name)}\n`,
    });
    return true;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return false;
  }
}

describe("the apt package rule", () => {
  it.each<[string, boolean]>([
    ["curl", true],
    ["libgomp1", true],
    ["g++", true],
    ["python3.11-venv", true],
    ["curl=7.88.1-10+deb12u5", true],
    ["libc6=1:2.36-9", true],
    ["a", false],
    ["Curl", false],
    ["libc6:amd64", false],
    ["curl/bookworm-backports", false],
    ["curl=latest", false],
    ["curl=1=2", false],
    ["curl -o /etc/passwd", false],
    ["$(id)", false],
    ["x; rm -rf /", false],
  ])(
    "%j: accepted %s by the definition rule, the envforge.yaml parser and the recipe",
    (name, ok) => {
      expect(checkAptPackage(name) === undefined).toBe(ok);
      expect(parserAccepts(name)).toBe(ok);
      expect(recipeAccepts(name)).toBe(ok);
    },
  );
});
