/**
 * Who may call what. Every route declares an Access in its config; one onRequest hook checks it
 * before the body is read, so an unauthenticated caller cannot make the server parse anything.
 * - 401: no token, a malformed one, an unknown or a revoked one.
 * - 403: a valid token without the scope, or of another workspace.
 * Scopes nest: admin includes write, write includes read. An admin token of the `default`
 * workspace is the server's admin: it may also create workspaces and manage any workspace's
 * tokens (otherwise nobody could make the first token of a new workspace).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ForbiddenError, UnauthorizedError } from "../errors/index.js";
import type { EnvironmentService, TokenGrant, TokenScope } from "../workspace/index.js";
import { DEFAULT_WORKSPACE, TOKEN_SCOPES } from "../workspace/index.js";

export type Access =
  | { readonly scope: "public" }
  | {
      readonly scope: TokenScope;
      /** The route acts on the workspace named by the `workspace` path parameter. */
      readonly workspaceParam: boolean;
      /** The server admin (admin of `default`) may act on any workspace. */
      readonly serverAdmin?: boolean;
    };

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the access hook when auth is on and a token was presented. */
    grant?: TokenGrant;
  }
}

export const BEARER_SCHEME = "Bearer";

export function grants(grant: TokenGrant, scope: TokenScope): boolean {
  const needed = TOKEN_SCOPES.indexOf(scope);
  return grant.scopes.some((held) => TOKEN_SCOPES.indexOf(held) >= needed);
}

export function isServerAdmin(grant: TokenGrant | undefined): boolean {
  return grant !== undefined && grant.workspace === DEFAULT_WORKSPACE && grants(grant, "admin");
}

export function accessHook(options: {
  readonly service: EnvironmentService;
  readonly auth: boolean;
}): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const access = request.routeOptions.config.access;
    // A route without a declared access is a bug; refuse rather than leave it open.
    if (access === undefined) {
      if (request.routeOptions.url === undefined) return; // 404: no route matched
      throw new ForbiddenError("this route declares no access rule");
    }
    if (access.scope === "public" || !options.auth) return;

    const secret = bearerToken(request.headers.authorization);
    const grant = await options.service.verifyToken(secret);
    request.grant = grant;

    if (!grants(grant, access.scope)) {
      throw new ForbiddenError(
        `the API token "${grant.tokenId}" lacks the ${access.scope} scope this route needs (it has ${grant.scopes.join(", ")})`,
      );
    }
    if (access.serverAdmin === true && !access.workspaceParam && !isServerAdmin(grant)) {
      throw new ForbiddenError(
        `only an admin token of the "${DEFAULT_WORKSPACE}" workspace may do this`,
      );
    }
    if (access.workspaceParam) {
      const workspace = workspaceParam(request.params);
      const allowed =
        workspace === grant.workspace || (access.serverAdmin === true && isServerAdmin(grant));
      if (!allowed) {
        throw new ForbiddenError(
          `the API token belongs to workspace "${grant.workspace}", not "${workspace}"`,
        );
      }
    }
  };
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === "") {
    throw new UnauthorizedError(
      `this server needs an API token: send "Authorization: ${BEARER_SCHEME} efk_..." (create one with \`envforge token create\`)`,
    );
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new UnauthorizedError(`the Authorization header must be "${BEARER_SCHEME} <token>"`);
  }
  return match[1];
}

function workspaceParam(params: unknown): string {
  if (typeof params === "object" && params !== null && "workspace" in params) {
    const { workspace } = params;
    if (typeof workspace === "string") return workspace;
  }
  return DEFAULT_WORKSPACE;
}
