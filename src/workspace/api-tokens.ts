/**
 * API tokens: `efk_<43 base64url>` (256 random bits), shown once at creation. Only the sha256
 * of the secret is stored, so a copy of the database grants nothing. A token belongs to one
 * workspace and carries scopes; what each scope allows is decided by the surface that checks it.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { NotFoundError, UnauthorizedError } from "../errors/index.js";
import { isoNow } from "./clock.js";
import { TOKEN_SCOPES } from "./model.js";
import type { ApiToken, TokenGrant, TokenScope } from "./model.js";
import type { ServiceContext } from "./service-context.js";
import { newProblems, requireWorkspace, workspaceOf } from "./service-context.js";
import type { TokenRecord } from "./store.js";
import { decodeScopes, encodeJson } from "./stored-values.js";
import { checkName, checkScopes, checkTokenName, isTokenScope } from "./validation.js";

export const TOKEN_PREFIX = "efk_";
const TOKEN_PATTERN = /^efk_[A-Za-z0-9_-]{43}$/;

export interface CreateTokenInput {
  readonly workspace?: string;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
}

export interface CreatedToken {
  readonly token: ApiToken;
  /** The secret: returned here once and never again. */
  readonly secret: string;
}

export async function createToken(
  context: ServiceContext,
  input: CreateTokenInput,
): Promise<CreatedToken> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkTokenName(problems, input.name);
  checkScopes(problems, input.scopes);
  problems.throwIfAny();
  const secret = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const record: TokenRecord = {
    id: context.newId(),
    workspace,
    name: input.name,
    scopesJson: encodeJson(TOKEN_SCOPES.filter((scope) => input.scopes.includes(scope))),
    tokenHash: hashSecret(secret),
    createdAt: isoNow(context.clock),
    revokedAt: null,
  };
  await context.store.write(async (tx) => {
    await requireWorkspace(tx, workspace);
    await tx.insertToken(record);
  });
  return { token: tokenView(record), secret };
}

/** Oldest first, revoked ones included (they show revokedAt). */
export async function listTokens(
  context: ServiceContext,
  input: { readonly workspace?: string } = {},
): Promise<readonly ApiToken[]> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  problems.throwIfAny();
  const records = await context.store.read(async (tx) => {
    await requireWorkspace(tx, workspace);
    return tx.listTokens(workspace);
  });
  return records.map(tokenView);
}

/** Revoking twice is not an error; the first revocation time stays. */
export async function revokeToken(
  context: ServiceContext,
  input: { readonly workspace?: string; readonly id: string },
): Promise<ApiToken> {
  const problems = newProblems();
  const workspace = workspaceOf(problems, input.workspace);
  checkName(problems, input.id, { key: "id", what: "token id" });
  problems.throwIfAny();
  return context.store.write(async (tx) => {
    const record = await tx.getToken(input.id);
    if (record === undefined || record.workspace !== workspace) {
      throw new NotFoundError(`token "${input.id}" not found in workspace "${workspace}"`);
    }
    await tx.revokeToken({ id: record.id, now: isoNow(context.clock) });
    const revoked = await tx.getToken(record.id);
    return tokenView(revoked ?? record);
  });
}

/** What a presented secret grants; UnauthorizedError when it is unknown, malformed or revoked. */
export async function verifyToken(context: ServiceContext, secret: string): Promise<TokenGrant> {
  if (!TOKEN_PATTERN.test(secret)) throw new UnauthorizedError("the API token is not valid");
  const presented = hashSecret(secret);
  // Every authenticated request asks this: one statement, no transaction around it.
  const record = await context.store.readOne((tx) => tx.getTokenByHash(presented));
  // The lookup is by hash, so timing reveals nothing of the secret; the constant-time compare
  // keeps that true even if the lookup ever becomes a prefix or range scan.
  const matches =
    record !== undefined &&
    timingSafeEqual(Buffer.from(record.tokenHash, "hex"), Buffer.from(presented, "hex"));
  if (!matches) throw new UnauthorizedError("the API token is not valid");
  if (record.revokedAt !== null) {
    // Neither its name nor its id: a 401 tells the caller nothing about the workspace's tokens.
    throw new UnauthorizedError(
      `the API token was revoked at ${record.revokedAt}; ask an admin of the workspace for a new one (envforge token create)`,
    );
  }
  return {
    tokenId: record.id,
    workspace: record.workspace,
    scopes: decodeScopes(record.scopesJson).filter(isTokenScope),
  };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

function tokenView(record: TokenRecord): ApiToken {
  return {
    id: record.id,
    workspace: record.workspace,
    name: record.name,
    scopes: decodeScopes(record.scopesJson),
    createdAt: record.createdAt,
    ...(record.revokedAt === null ? {} : { revokedAt: record.revokedAt }),
  };
}
