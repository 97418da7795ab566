/**
 * Where every builder starts: the recipe a build request makes, and the name its image gets —
 * `<registry>/envforge_<image hash>`, or with no registry the local engine's `envforge/…` name.
 */
import { imageName } from "../definition/image-hash.js";
import { makeRecipe } from "../recipe/index.js";
import type { Recipe } from "../recipe/index.js";
import type { BuildRequest } from "./image-builder.js";

export interface BuildTarget {
  readonly recipe: Recipe;
  /** The request's registry, trimmed; undefined when it names none. */
  readonly registry?: string;
  readonly repository: string;
}

export function buildTarget(request: BuildRequest): BuildTarget {
  const recipe = makeRecipe(request.definition, {
    definitionHash: request.definitionHash,
    ...(request.lock === undefined ? {} : { lock: request.lock }),
    ...(request.labels === undefined ? {} : { labels: request.labels }),
  });
  const trimmed = request.registry?.trim();
  const registry = trimmed === undefined || trimmed === "" ? undefined : trimmed;
  const repository = imageName({
    imageHash: recipe.imageHash,
    ...(registry === undefined ? {} : { registry }),
  });
  return { recipe, repository, ...(registry === undefined ? {} : { registry }) };
}
