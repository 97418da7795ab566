/**
 * What registration computes from a definition alone, before it reads the store: the definition
 * hash, the recipe's rules, and the JSON of what is stored (the definition without URL
 * credentials, the source texts stripped of them). Pure and linear in the definition, so a
 * server can make it on a worker thread and hand it to registerEnvironment, which then does not
 * make it again; the in-process path makes it on the spot. Either way the same function runs.
 */
import type { Problem } from "../errors/index.js";
import type { Definition } from "../definition/definition.js";
import { definitionHash } from "../definition/definition-hash.js";
import { definitionRecipeProblems } from "../recipe/index.js";
import { encodeJson } from "./stored-values.js";
import type { UrlCredential } from "./url-credentials.js";
import { splitUrlCredentials, stripSourceFiles } from "./url-credentials.js";

export interface PreparedDefinition {
  /** The definition as read, URLs with their credentials (the lock resolver needs them). */
  readonly definition: Definition;
  readonly definitionHash: string;
  /** What the build would refuse; registration refuses it before taking a version number. */
  readonly recipeProblems: readonly Problem[];
  /** The stored definition: no credentials anywhere, `credentialsConfigured` naming their keys. */
  readonly definitionJson: string;
  /** The URLs as written, stored apart by workspace and definition hash. */
  readonly credentials: readonly UrlCredential[];
  /** The source texts, path → text, stripped of URL credentials. */
  readonly sourceFilesJson: string;
}

export function prepareDefinition(
  definition: Definition,
  sourceFiles: Readonly<Record<string, string>> = {},
): PreparedDefinition {
  const split = splitUrlCredentials(definition);
  return {
    definition,
    definitionHash: definitionHash(definition),
    recipeProblems: definitionRecipeProblems(definition),
    definitionJson: encodeJson(split.definition),
    credentials: split.credentials,
    sourceFilesJson: encodeJson(stripSourceFiles(sourceFiles)),
  };
}
