/** Versions of one environment: list, register from uploaded files, show, change, archive. */
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { imageDetailsWithBuild } from "../../workspace/image-details.js";
import {
  environmentParams,
  environmentVersionSchema,
  imageDetailsSchema,
  listQuery,
  pageSchema,
  registerBody,
  registerResultSchema,
  updateBody,
  versionParams,
} from "../schemas.js";
import type { FastifySchemaValidationError } from "fastify/types/schema.js";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { validatorCompiler } from "fastify-type-provider-zod";
import * as z from "zod";
import { InternalError } from "../../errors/index.js";
import { isRecord } from "../../definition/model-shape.js";
import { useJsonBodyReader } from "../json-body.js";
import { createParseGate } from "../parse-gate.js";
import {
  errorFromWire,
  isRegistrationReading,
  readRegistration,
  validateBody,
} from "../upload/read-registration.js";
import type { RegistrationReading } from "../upload/read-registration.js";
import { includeArchived, versionNumber } from "./params.js";

const READ = { scope: "read", workspaceParam: true } as const;
const WRITE = { scope: "write", workspaceParam: true } as const;

export function registerVersionRoutes(app: ZodApp, deps: RouteDeps): void {
  const { service } = deps;
  const base = "/v1/workspaces/:workspace/environments/:name/versions";

  app.get(
    base,
    {
      config: { access: READ },
      schema: {
        summary: "List versions, newest first, a page at a time",
        params: environmentParams,
        querystring: listQuery,
        response: { 200: pageSchema(environmentVersionSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const archived = includeArchived(request.query.includeArchived);
      return service.listVersions({
        workspace: request.params.workspace,
        name: request.params.name,
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(archived === undefined ? {} : { includeArchived: archived }),
      });
    },
  );

  // Its own JSON parser reads the whole registration (parse-pool.ts, read-registration.ts).
  void app.register(async (scope) => {
    registerDefinitionRoute(scope.withTypeProvider<ZodTypeProvider>(), deps, base);
  });

  app.get(
    `${base}/:version`,
    {
      config: { access: READ },
      schema: {
        summary: "One version by number",
        params: versionParams,
        response: { 200: environmentVersionSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      return service.getEnvironmentVersion({
        workspace,
        name,
        version: versionNumber(request.params.version),
      });
    },
  );

  app.patch(
    `${base}/:version`,
    {
      config: { access: WRITE },
      schema: {
        summary: "Change a version's description or tags (nothing else may change)",
        params: versionParams,
        body: updateBody,
        response: { 200: environmentVersionSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      return service.updateVersion({
        workspace,
        name,
        version: versionNumber(request.params.version),
        changes: request.body,
      });
    },
  );

  app.get(
    `${base}/:version/image-details`,
    {
      config: { access: READ },
      schema: {
        summary: "The image this version names and the ingredients of its build",
        params: versionParams,
        response: { 200: imageDetailsSchema },
      },
    },
    async (request) => {
      const { workspace, name } = request.params;
      const version = await service.getEnvironmentVersion({
        workspace,
        name,
        version: versionNumber(request.params.version),
      });
      return imageDetailsWithBuild(version, deps);
    },
  );

  for (const action of ["archive", "restore"] as const) {
    app.post(
      `${base}/:version/${action}`,
      {
        config: { access: WRITE },
        schema: {
          summary: action === "archive" ? "Archive one version" : "Restore one version",
          params: versionParams,
        },
      },
      async (request, reply) => {
        const { workspace, name } = request.params;
        await service[action]({ workspace, name, version: versionNumber(request.params.version) });
        return reply.code(204).send();
      },
    );
  }
}

/**
 * Registration bodies above this many bytes are read on the parse pool. Smaller ones are read in
 * place, one at a time through the parse gate: shipping them costs about what reading them does,
 * and a definition this size reads in a millisecond or two (docs/limits.md bounds the rest).
 */
export const REGISTRATION_OFF_THREAD_BYTES = 16 * 1024;

/**
 * POST …/versions. The body is read whole by readRegistration when it is parsed: JSON, the body
 * schema, the definition and its hash; a big one on a worker thread, so the event loop only
 * moves its bytes. What is wrong with it is told where fastify and the handler always told it:
 * not JSON at parsing (400), the schema's issues by the body's validator (400, worded by
 * fastify), a definition that cannot be read by the handler (422).
 */
function registerDefinitionRoute(app: ZodApp, deps: RouteDeps, base: string): void {
  const parseGate = createParseGate();
  useJsonBodyReader(
    app,
    async (bytes) =>
      bytes.length > deps.registrationOffThreadBytes
        ? deps.parsePool.registration(bytes, deps.settings)
        : parseGate(() => readRegistration(bytes, deps.settings)),
    (reading: Exclude<RegistrationReading, { readonly kind: "bad-json" }>) => reading,
  );

  app.post(
    base,
    {
      config: { access: WRITE },
      schema: {
        summary:
          "Register a definition from its files: 201 with a new version, 200 when the latest version already has this definition",
        params: environmentParams,
        body: registerBody,
        response: { 200: registerResultSchema, 201: registerResultSchema },
      },
      validatorCompiler: ({ schema, method, url, httpPart }) => {
        if (httpPart === "body") return validateReading;
        const part: unknown = schema;
        if (!(part instanceof z.ZodType))
          throw new InternalError(`no zod schema for ${url} ${httpPart}`);
        return validatorCompiler({
          schema: part,
          method,
          url,
          ...(httpPart === undefined ? {} : { httpPart }),
        });
      },
    },
    async (request, reply) => {
      // The validator let through only a reading (registerBody is the shape the OpenAPI shows).
      const reading: unknown = request.body;
      if (isRegistrationReading(reading) && reading.kind === "failed") {
        throw errorFromWire(reading.error);
      }
      if (!isRegistrationReading(reading) || reading.kind !== "read") {
        throw new InternalError("the registration body reached its handler unread");
      }
      const { options, prepared, warnings, contextContent } = reading;
      const result = await deps.service.registerEnvironment({
        workspace: request.params.workspace,
        name: request.params.name,
        definition: prepared.definition,
        prepared,
        contextContent,
        ...options,
      });
      deps.metrics.countRegistration(result.created);
      return reply
        .code(result.created ? 201 : 200)
        .send({ ...result, warnings: [...warnings, ...(result.warnings ?? [])] });
    },
  );
}

/**
 * The body's validator: a reading passes (its schema issues fail as fastify words them); anything
 * else (no body at all) gets the zod validator's own verdict, as before.
 */
function validateReading(data: unknown): {
  readonly value?: unknown;
  readonly error?: FastifySchemaValidationError[];
} {
  if (!isRegistrationReading(data)) {
    const checked = validateBody(data);
    return "error" in checked ? { error: checked.error.map(validationIssue) } : { value: data };
  }
  return data.kind === "invalid-body"
    ? { error: data.issues.map(validationIssue) }
    : { value: data };
}

/** One issue as fastify-type-provider-zod made it (on this thread or another), typed again. */
function validationIssue(issue: unknown): FastifySchemaValidationError {
  const field = (key: string): string => {
    const value: unknown = isRecord(issue) ? issue[key] : undefined;
    return typeof value === "string" ? value : "";
  };
  const params: unknown = isRecord(issue) ? issue.params : undefined;
  return {
    keyword: field("keyword"),
    instancePath: field("instancePath"),
    schemaPath: field("schemaPath"),
    params: isRecord(params) ? params : {},
    message: field("message"),
  };
}
