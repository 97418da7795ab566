/**
 * Who the caller is, for the web UI: whether the server asks for tokens at all, and the
 * workspace and scopes of the token presented, so a page can hide what it may not do (the
 * server still refuses it).
 */
import * as z from "zod";
import { TOKEN_SCOPES } from "../../workspace/index.js";
import type { RouteDeps, ZodApp } from "../route-deps.js";

export const sessionSchema = z
  .object({
    auth: z
      .boolean()
      .describe("false: the server takes no tokens (it then listens on loopback only)"),
    token: z
      .object({
        id: z.string(),
        workspace: z.string(),
        scopes: z.array(z.enum(TOKEN_SCOPES)).readonly(),
      })
      .optional()
      .describe("the token presented, when auth is on"),
  })
  .meta({ id: "Session" });

export function registerSessionRoutes(app: ZodApp, deps: Pick<RouteDeps, "auth">): void {
  app.get(
    "/v1/session",
    {
      // read: with auth on, the access hook has verified the token (401 otherwise).
      config: { access: { scope: "read", workspaceParam: false } },
      schema: {
        summary: "Whether the server needs tokens, and the presented token's workspace and scopes",
        response: { 200: sessionSchema },
      },
    },
    async (request) => {
      const grant = request.grant;
      if (!deps.auth || grant === undefined) return { auth: deps.auth };
      return {
        auth: true,
        token: { id: grant.tokenId, workspace: grant.workspace, scopes: grant.scopes },
      };
    },
  );
}
