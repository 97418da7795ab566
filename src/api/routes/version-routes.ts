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
import { createParseGate } from "../parse-gate.js";
import { loadUpload } from "../upload/load-upload.js";
import { includeArchived, versionNumber } from "./params.js";

const READ = { scope: "read", workspaceParam: true } as const;
const WRITE = { scope: "write", workspaceParam: true } as const;

export function registerVersionRoutes(app: ZodApp, deps: RouteDeps): void {
  const parseGate = createParseGate();
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
    },
    async (request, reply) => {
      const { version, description, tags, requireLock, ...upload } = request.body;
      const loaded = await parseGate(() => loadUpload(upload, { settings: deps.settings }));
      const result = await service.registerEnvironment({
        workspace: request.params.workspace,
        name: request.params.name,
        definition: loaded.definition,
        sourceFiles: loaded.sourceFiles,
        contextContent: loaded.contextContent,
        ...(version === undefined ? {} : { version }),
        ...(description === undefined ? {} : { description }),
        ...(tags === undefined ? {} : { tags }),
        ...(requireLock === undefined ? {} : { requireLock }),
      });
      deps.metrics.countRegistration(result.created);
      return reply
        .code(result.created ? 201 : 200)
        .send({ ...result, warnings: [...loaded.warnings, ...(result.warnings ?? [])] });
    },
  );

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
