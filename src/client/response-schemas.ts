/**
 * The server's answers as the client reads them: the API's own schemas, with the Definition and
 * Lock checked for their shape (they are the definition/ models, produced by an envforge server) so
 * the client never casts what came over the network.
 */
import * as z from "zod";
import type { Definition } from "../definition/definition.js";
import type { Lock } from "../definition/lock.js";
import { isDefinitionShape, isLockShape } from "../definition/model-shape.js";
import {
  apiTokenSchema,
  createdTokenSchema,
  environmentSummarySchema,
  environmentVersionSchema,
  imageDetailsSchema,
  pageSchema,
  problemSchema,
  registerResultSchema,
  workspaceSchema,
} from "../api/schemas.js";

const definitionShape = z.custom<Definition>(isDefinitionShape, "not an envforge Definition");
const lockShape = z.custom<Lock>(isLockShape, "not an envforge Lock");

export const versionResponse = environmentVersionSchema.extend({
  definition: definitionShape,
  lock: lockShape.optional(),
});
export const versionPageResponse = pageSchema(versionResponse);
export const summaryPageResponse = pageSchema(environmentSummarySchema);
export const registerResponse = registerResultSchema.extend({
  version: versionResponse,
  warnings: z.array(problemSchema.shape.problems.unwrap().element).readonly(),
});
export const workspaceResponse = workspaceSchema;
export const workspacesResponse = z.object({ items: z.array(workspaceSchema) });
export const versionsResponse = z.object({ items: z.array(versionResponse) });
export const tokenResponse = apiTokenSchema;
export const tokensResponse = z.object({ items: z.array(apiTokenSchema) });
export const createdTokenResponse = createdTokenSchema;
export const imageDetailsResponse = imageDetailsSchema.extend({
  ingredients: imageDetailsSchema.shape.ingredients.extend({ lock: lockShape.nullable() }),
});
export const problemResponse = problemSchema;
