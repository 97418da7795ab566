/** API tokens of a workspace: admin scope (or the server admin). Secrets appear once, at creation. */
import * as z from "zod";
import type { RouteDeps, ZodApp } from "../route-deps.js";
import {
  apiTokenSchema,
  createdTokenSchema,
  createTokenBody,
  tokenParams,
  workspaceParams,
} from "../schemas.js";

export function registerTokenRoutes(app: ZodApp, deps: RouteDeps): void {
  const { service } = deps;
  const access = { scope: "admin", workspaceParam: true, serverAdmin: true } as const;
  app.get(
    "/v1/workspaces/:workspace/tokens",
    {
      config: { access },
      schema: {
        summary: "List API tokens (never their secrets)",
        params: workspaceParams,
        response: { 200: z.object({ items: z.array(apiTokenSchema).readonly() }) },
      },
    },
    async (request) => ({
      items: [...(await service.listTokens({ workspace: request.params.workspace }))],
    }),
  );
  app.post(
    "/v1/workspaces/:workspace/tokens",
    {
      config: { access },
      schema: {
        summary: "Create an API token; the secret is in this answer only",
        params: workspaceParams,
        body: createTokenBody,
        response: { 201: createdTokenSchema },
      },
    },
    async (request, reply) => {
      const created = await service.createToken({
        workspace: request.params.workspace,
        name: request.body.name,
        scopes: request.body.scopes,
      });
      return reply.code(201).header("cache-control", "no-store").send(created);
    },
  );
  app.delete(
    "/v1/workspaces/:workspace/tokens/:id",
    {
      config: { access },
      schema: {
        summary: "Revoke an API token",
        params: tokenParams,
        response: { 200: apiTokenSchema },
      },
    },
    async (request) =>
      service.revokeToken({ workspace: request.params.workspace, id: request.params.id }),
  );
}
