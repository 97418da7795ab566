/**
 * The server's answers as the client reads them: the API's own schemas, with the Definition and
 * Lock checked for their shape (they are the spec/ models, produced by an envforge server) so
 * the client never casts what came over the network.
 */
import { z } from "zod";
import type { Definition } from "../../spec/definition.js";
import type { Lock } from "../../spec/lock.js";
import { LOCK_VERSION } from "../../spec/lock.js";
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
} from "../schemas.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDefinition(value: unknown): value is Definition {
  return (
    isRecord(value) &&
    typeof value.kind === "string" &&
    isRecord(value.base) &&
    typeof value.base.kind === "string" &&
    isRecord(value.tags) &&
    Array.isArray(value.apt) &&
    isRecord(value.variables) &&
    typeof value.platform === "string" &&
    isRecord(value.python)
  );
}

function isLock(value: unknown): value is Lock {
  return (
    isRecord(value) &&
    value.version === LOCK_VERSION &&
    typeof value.definitionHash === "string" &&
    Array.isArray(value.channels) &&
    Array.isArray(value.platforms)
  );
}

const definitionShape = z.custom<Definition>(isDefinition, "not an envforge Definition");
const lockShape = z.custom<Lock>(isLock, "not an envforge Lock");

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
