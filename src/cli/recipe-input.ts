import { ValidationError } from "../errors/index.js";
import { parseLockFile } from "../conda/lock-file.js";
import { readSourceText } from "../host/file-errors.js";
import { makeRecipe } from "../recipe/index.js";
import type { Recipe } from "../recipe/index.js";
import { definitionHash } from "../definition/definition-hash.js";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
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
  const lock = options.lock === undefined ? undefined : await readLock(io, options.lock);
  if (lock !== undefined && lock.definitionHash !== hash) {
    throw ValidationError.single({
      file: options.lock,
      key: "definitionHash",
      message: `the lock was resolved from another definition; run \`envforge lock ${file}\` again`,
      found: lock.definitionHash,
      allowed: hash,
    });
  }
  const recipe = makeRecipe(definition, {
    definitionHash: hash,
    ...(lock === undefined ? {} : { lock }),
  });
  return { definition, ...(lock === undefined ? {} : { lock }), recipe };
}

async function readLock(io: CliIo, path: string): Promise<Lock> {
  const { text } = await readSourceText(resolveFrom(io, path));
  return parseLockFile(text, path);
}
