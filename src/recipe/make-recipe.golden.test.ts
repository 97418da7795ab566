import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RECIPE_CASES } from "./__fixtures__/definitions.js";
import { definitionHash } from "../definition/definition-hash.js";
import { makeRecipe } from "./make-recipe.js";

// UPDATE_GOLDEN=1 npx vitest run src/recipe rewrites the golden files; review the diff.
const update = process.env["UPDATE_GOLDEN"] === "1";

describe("golden Dockerfiles", () => {
  it.each(RECIPE_CASES.map((c) => [c.name, c] as const))("%s", (name, recipeCase) => {
    const recipe = makeRecipe(recipeCase.definition, {
      definitionHash: definitionHash(recipeCase.definition),
      ...(recipeCase.lock === undefined ? {} : { lock: recipeCase.lock }),
      ...(recipeCase.baseImageDigest === undefined
        ? {}
        : { baseImageDigest: recipeCase.baseImageDigest }),
    });
    const file = new URL(`./__golden__/${name}.Dockerfile`, import.meta.url);
    if (update) writeFileSync(file, recipe.dockerfile);
    expect(recipe.dockerfile).toBe(readFileSync(file, "utf8"));
    const layersFile = new URL(`./__golden__/${name}.layers.Dockerfile`, import.meta.url);
    if (recipe.layersDockerfile !== undefined) {
      if (update) writeFileSync(layersFile, recipe.layersDockerfile);
      expect(recipe.layersDockerfile).toBe(readFileSync(layersFile, "utf8"));
    } else {
      expect(existsSync(layersFile)).toBe(false);
    }
  });
});
