import { parseLockFile } from "../conda/lock-file.js";
import { readSourceText } from "../host/file-errors.js";
import { makeRecipe } from "../recipe/index.js";
import type { Recipe } from "../recipe/index.js";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import type { Lock, LockContent } from "../definition/lock.js";
import { bindLock } from "../definition/lock-binding.js";
import type { CliIo } from "./context.js";
import { readDefinitionInput, resolveFrom } from "./definition-input.js";
import type { DefinitionInputOptions } from "./definition-input.js";

export interface RecipeInput {
  readonly definition: Definition;
  readonly lock?: Lock;
  readonly recipe: Recipe;
}

/** Reads a definition (and its lock when given) and makes the recipe every command shows. */
export async function readRecipe(
  io: CliIo,
  file: string,
  options: DefinitionInputOptions & { readonly lock?: string },
): Promise<RecipeInput> {
  const definition = await readDefinitionInput(io, file, options);
  const hash = definitionHash(definition);
  // A lock made before a change of variables or metadata only still fits (lock-binding.ts).
  const lock =
    options.lock === undefined
      ? undefined
      : bindLock(await readLock(io, options.lock), definition, options.lock);
  const recipe = makeRecipe(definition, {
    definitionHash: hash,
    ...(lock === undefined ? {} : { lock }),
  });
  return { definition, ...(lock === undefined ? {} : { lock }), recipe };
}

async function readLock(io: CliIo, path: string): Promise<LockContent> {
  const { text } = await readSourceText(resolveFrom(io, path));
  return parseLockFile(text, path);
}
