/**
 * The request and response shapes of the HTTP API, as zod schemas: fastify validates requests
 * with them and @fastify/swagger publishes them in /openapi.json. Definitions and locks are the
 * definition/ models, passed through as JSON (docs/api.md links their description).
 */
import * as z from "zod";
import { TOKEN_SCOPES } from "../workspace/index.js";
import { LOCK_PARTS } from "../workspace/lock-resolver.js";
import { definitionUploadSchema } from "./upload/upload-schema.js";

export const workspaceParams = z.object({ workspace: z.string() });
export const environmentParams = workspaceParams.extend({ name: z.string() });
export const versionParams = environmentParams.extend({
  version: z.string().describe("a version number, e.g. 3"),
});
export const labelParams = environmentParams.extend({
  label: z.string().describe('a label, e.g. "prod"; "latest" is the newest unarchived version'),
});
export const tokenParams = workspaceParams.extend({ id: z.string() });

const pageQuery = {
  limit: z.coerce.number().int().optional().describe("page size, 1 to 1000 (default 100)"),
  cursor: z.string().optional().describe("the nextCursor of the previous page"),
  includeArchived: z
    .enum(["true", "false"])
    .optional()
    .describe("also list archived environments or versions"),
};
export const listQuery = z.strictObject(pageQuery);

export const workspaceSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    createdAt: z.string().describe("ISO 8601 UTC"),
  })
  .meta({ id: "Workspace" });

export const environmentVersionSchema = z
  .object({
    workspace: z.string(),
    name: z.string(),
    version: z.number().int(),
    definition: z.unknown().describe("the Definition model (src/definition/definition.ts)"),
    definitionHash: z.string().describe("envforge_<32 hex>"),
    sourceFiles: z.record(z.string(), z.string()).describe("path → text, for display"),
    lock: z.unknown().optional().describe("the Lock model (src/definition/lock.ts), when resolved"),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    labels: z.array(z.string()).readonly(),
    archived: z.boolean(),
    curated: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "EnvironmentVersion" });

export const environmentSummarySchema = z
  .object({
    workspace: z.string(),
    name: z.string(),
    archived: z.boolean(),
    latestVersion: z.number().int().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "EnvironmentSummary" });

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item).readonly(), nextCursor: z.string().optional() });
}

export const registerBody = definitionUploadSchema
  .extend({
    version: z.number().int().optional().describe("ask for this version number"),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    requireLock: z
      .boolean()
      .optional()
      .describe("refuse (422, nothing written) rather than register without a lock"),
  })
  .meta({ id: "RegisterRequest" });

export const registrationLockSchema = z
  .object({
    state: z
      .enum(["locked", "unlocked", "not-needed"])
      .describe("unlocked: the version needs a lock and has none; build will need one"),
    filled: z
      .boolean()
      .describe("true when this registration gave an existing version its missing lock"),
    problems: z
      .array(z.object({ part: z.enum(LOCK_PARTS), reason: z.string() }))
      .readonly()
      .describe("per part, why it was not locked (or, when locked, not pinned)"),
  })
  .meta({ id: "RegistrationLock" });

export const registerResultSchema = z
  .object({
    created: z.boolean().describe("false when an existing version had this definition"),
    version: environmentVersionSchema,
    lock: registrationLockSchema,
    warnings: z
      .array(z.unknown())
      .readonly()
      .describe("accepted but ignored content, and each lock problem with what to do about it"),
  })
  .meta({ id: "RegisterResult" });

export const updateBody = z
  .record(z.string(), z.unknown())
  .describe('{ "description": text or null, "tags": { ... } }; other keys are refused (422)');

export const labelBody = z.strictObject({ version: z.number().int() });

export const createWorkspaceBody = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
});

export const apiTokenSchema = z
  .object({
    id: z.string(),
    workspace: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)).readonly(),
    createdAt: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: "ApiToken" });

export const createTokenBody = z.strictObject({
  name: z.string(),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
});

export const createdTokenSchema = z.object({
  token: apiTokenSchema,
  secret: z.string().describe("efk_…: shown here once, never again"),
});

/**
 * An image by name, registry host, where it is kept, and its registry digest or local image id;
 * shared by image details and builds.
 */
export const imageSchema = z.object({
  name: z.string(),
  registry: z.string().nullable(),
  location: z
    .enum(["registry", "local-engine"])
    .describe(
      "registry: pushed to `registry`; local-engine: no registry, kept in the Docker engine of the machine that built it",
    ),
  digest: z
    .string()
    .nullable()
    .describe(
      "sha256:… of the manifest in the registry; null until pushed, and in the local engine",
    ),
  id: z
    .string()
    .nullable()
    .describe(
      "sha256:… image id in the local engine; null until built there, and for registry images",
    ),
});

export const imageDetailsSchema = z
  .object({
    workspace: z.string(),
    name: z.string(),
    version: z.number().int(),
    definitionHash: z.string(),
    imageHash: z.string(),
    image: imageSchema,
    existsInRegistry: z.boolean(),
    sbom: z
      .object({ digest: z.string(), mediaType: z.string() })
      .nullable()
      .describe(
        "the SBOM attached to the pushed image (its document's digest); null when none is, or the image is not in a registry",
      ),
    ingredients: z.object({
      dockerfile: z.string(),
      condaSpecification: z.string().nullable(),
      lock: z.unknown().nullable(),
      pipRequirements: z.string().nullable(),
    }),
    pythonEnvironment: z.object({
      interpreterPath: z.string(),
      condaEnvironmentName: z.string().optional(),
      condaEnvironmentPath: z.string().optional(),
    }),
  })
  .meta({ id: "ImageDetails" });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    error: z.string(),
    exitCode: z
      .number()
      .int()
      .optional()
      .describe("the exit code the CLI gives this error (its --json prints the same object)"),
    problems: z
      .array(
        z.object({
          file: z.string().optional(),
          line: z.number().optional(),
          column: z.number().optional(),
          key: z.string().optional(),
          message: z.string(),
          found: z.string().optional(),
          allowed: z.string().optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: "Problem" });

export const healthSchema = z.object({ status: z.literal("ok"), store: z.string() });
export const readySchema = z.object({
  status: z.literal("ready"),
  store: z.string(),
  /** `pg-boss`, `in-process`, or `none` when the server takes no builds. */
  queue: z.string(),
});
