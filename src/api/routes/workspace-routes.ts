/** Workspaces: list (what the token may see), create (server admin), show. */
import type { RouteDeps, ZodApp } from "../route-deps.js";
import { isServerAdmin } from "../access.js";
import { createWorkspaceBody, workspaceParams, workspaceSchema } from "../schemas.js";
import * as z from "zod";

export function registerWorkspaceRoutes(app: ZodApp, deps: RouteDeps): void {
  const { service } = deps;
  app.get(
    "/v1/workspaces",
    {
      config: { access: { scope: "read", workspaceParam: false } },
      schema: {
        summary: "List workspaces (with auth: all for the server admin, else the token's own)",
        response: { 200: z.object({ items: z.array(workspaceSchema).readonly() }) },
      },
    },
    async (request) => {
      const { grant } = request;
      if (!deps.auth || grant === undefined || isServerAdmin(grant)) {
        return { items: [...(await service.listWorkspaces())] };
      }
      return { items: [await service.getWorkspace({ name: grant.workspace })] };
    },
  );
  app.post(
    "/v1/workspaces",
    {
      config: { access: { scope: "admin", workspaceParam: false, serverAdmin: true } },
      schema: {
        summary: "Create a workspace",
        body: createWorkspaceBody,
        response: { 201: workspaceSchema },
      },
    },
    async (request, reply) => {
      const workspace = await service.createWorkspace(request.body);
      return reply.code(201).send(workspace);
    },
  );
  app.get(
    "/v1/workspaces/:workspace",
    {
      config: { access: { scope: "read", workspaceParam: true } },
      schema: {
        summary: "Show a workspace",
        params: workspaceParams,
        response: { 200: workspaceSchema },
      },
    },
    async (request) => service.getWorkspace({ name: request.params.workspace }),
  );
}
