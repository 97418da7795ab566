/** Environments as a whole: list, curated list, labels, archive and restore. */
import * as z from "zod";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { imageDetailsWithBuild } from "../../workspace/image-details.js";
import {
  environmentParams,
  environmentSummarySchema,
  environmentVersionSchema,
  imageDetailsSchema,
  labelBody,
  labelParams,
  listQuery,
  pageSchema,
  workspaceParams,
} from "../schemas.js";
import { includeArchived } from "./params.js";

const READ = { scope: "read", workspaceParam: true } as const;
const WRITE = { scope: "write", workspaceParam: true } as const;

export function registerEnvironmentRoutes(app: ZodApp, deps: RouteDeps): void {
  const { service } = deps;
  const base = "/v1/workspaces/:workspace/environments";

  app.get(
    base,
    {
      config: { access: READ },
      schema: {
        summary: "List environments, by name, a page at a time",
        params: workspaceParams,
        querystring: listQuery,
        response: { 200: pageSchema(environmentSummarySchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const archived = includeArchived(request.query.includeArchived);
      return service.listEnvironments({
        workspace: request.params.workspace,
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(archived === undefined ? {} : { includeArchived: archived }),
      });
    },
  );

  app.get(
    "/v1/workspaces/:workspace/curated",
    {
      config: { access: READ },
      schema: {
        summary: "The curated environments that ship with envforge (read-only)",
        params: workspaceParams,
        response: { 200: z.object({ items: z.array(environmentVersionSchema).readonly() }) },
      },
    },
    async (request) => ({
      items: await service.listCurated({ workspace: request.params.workspace }),
    }),
  );

  app.get(
    `${base}/:name/labels/:label`,
    {
      config: { access: READ },
      schema: {
        summary: 'The version a label names ("latest": the newest unarchived one)',
        params: labelParams,
        response: { 200: environmentVersionSchema },
      },
    },
    async (request) => {
      const { workspace, name, label } = request.params;
      return service.getEnvironmentVersion({ workspace, name, label });
    },
  );

  app.get(
    `${base}/:name/labels/:label/image-details`,
    {
      config: { access: READ },
      schema: {
        summary: "The image and build ingredients of the version a label names",
        params: labelParams,
        response: { 200: imageDetailsSchema },
      },
    },
    async (request) => {
      const { workspace, name, label } = request.params;
      const version = await service.getEnvironmentVersion({ workspace, name, label });
      return imageDetailsWithBuild(version, deps);
    },
  );

  app.put(
    `${base}/:name/labels/:label`,
    {
      config: { access: WRITE },
      schema: {
        summary: "Point a label at a version (moving it if it pointed elsewhere)",
        params: labelParams,
        body: labelBody,
        response: { 200: environmentVersionSchema },
      },
    },
    async (request) => {
      const { workspace, name, label } = request.params;
      return service.setLabel({ workspace, name, label, version: request.body.version });
    },
  );

  app.delete(
    `${base}/:name/labels/:label`,
    {
      config: { access: WRITE },
      schema: { summary: "Remove a label", params: labelParams },
    },
    async (request, reply) => {
      const { workspace, name, label } = request.params;
      await service.removeLabel({ workspace, name, label });
      return reply.code(204).send();
    },
  );

  for (const action of ["archive", "restore"] as const) {
    app.post(
      `${base}/:name/${action}`,
      {
        config: { access: WRITE },
        schema: {
          summary:
            action === "archive"
              ? "Archive an environment: every version, and versions registered later"
              : "Restore an environment and all its versions",
          params: environmentParams,
        },
      },
      async (request, reply) => {
        const { workspace, name } = request.params;
        await service[action]({ workspace, name });
        return reply.code(204).send();
      },
    );
  }
}
