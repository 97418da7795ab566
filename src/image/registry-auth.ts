/**
 * Answering a registry's 401 challenge: Basic with the user's credentials, or the token flow of
 * the distribution spec (https://distribution.github.io/distribution/spec/auth/token/):
 * `Bearer realm=…,service=…,scope=…` -> GET realm?service=…&scope=… (with Basic credentials when
 * there are some, anonymous otherwise) -> `{"token": …}` -> retry with `Bearer <token>`.
 */
import * as z from "zod";
import { ExternalError } from "../errors/index.js";
import type { AuthChallenge } from "./auth-challenge.js";
import type { RegistryCredentials } from "./credentials.js";
import { RegistryAuthError } from "./registry-errors.js";
import { describeResponse, send } from "./registry-http.js";
import type { FetchFunction } from "./registry-http.js";
import { isSafeCredentialUrl } from "./registry-url.js";

export interface Authorization {
  /** The `Authorization` header value. A secret. */
  readonly header: string;
  /** Epoch ms after which a new token is needed; undefined for Basic. */
  readonly expiresAt?: number;
}

export interface AuthorizeOptions {
  readonly registry: string;
  readonly challenge: AuthChallenge | undefined;
  /** What the token must grant, e.g. `repository:envforge/debian:pull,push`. */
  readonly scopes: readonly string[];
  readonly credentials: RegistryCredentials | undefined;
  /** Where credentials were looked for, for the "no credentials" message. */
  readonly credentialSource: string;
  readonly fetch: FetchFunction;
  readonly timeoutMs: number;
  readonly now: () => number;
  /** Receives every secret in play (password forms, tokens) so messages can redact them. */
  readonly addSecret: (secret: string) => void;
  readonly secrets: Iterable<string>;
}

// The spec: a token without `expires_in` is good for 60 s.
const DEFAULT_TOKEN_SECONDS = 60;
// Refresh a little early so a request does not start with a token about to expire.
const EXPIRY_MARGIN_MS = 5_000;

const TokenResponse = z.object({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
});

export async function authorize(options: AuthorizeOptions): Promise<Authorization> {
  const { challenge, credentials } = options;
  if (challenge?.scheme === "basic") {
    if (credentials === undefined) throw noCredentialsError(options);
    if (credentials.identityToken !== undefined) {
      throw new RegistryAuthError(
        `registry ${options.registry} asks for a user name and password, but the credentials from ${credentials.source} are an identity token, which only a token server accepts`,
        { registry: options.registry, status: 401 },
      );
    }
    return { header: basicHeader(credentials) };
  }
  if (challenge?.scheme === "bearer") return bearer(challenge, options);
  throw new RegistryAuthError(
    `registry ${options.registry} asked for a login without a Basic or Bearer challenge (WWW-Authenticate: ${challenge === undefined ? "missing" : challenge.scheme})`,
    { registry: options.registry, status: 401 },
  );
}

export function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

async function bearer(challenge: AuthChallenge, options: AuthorizeOptions): Promise<Authorization> {
  const { registry, credentials } = options;
  const realmText = challenge.params["realm"];
  let realm: URL;
  try {
    realm = new URL(realmText ?? "");
  } catch {
    throw new RegistryAuthError(
      `registry ${registry} sent a Bearer challenge without a valid realm URL (found ${JSON.stringify(realmText ?? "")})`,
      { registry, status: 401 },
    );
  }
  // Tokens and passwords cross the network to the realm: plain HTTP only on loopback.
  if (!isSafeCredentialUrl(realm)) {
    throw new RegistryAuthError(
      `registry ${registry} sent the token realm ${realm.origin}${realm.pathname}, which is neither HTTPS nor loopback; envforge sends no credentials or tokens there`,
      { registry, status: 401 },
    );
  }
  const server = `token server ${realm.origin}${realm.pathname} of registry ${registry}`;
  const service = challenge.params["service"];
  const request =
    credentials?.identityToken === undefined
      ? tokenGet(realm, service, options.scopes, credentials)
      : tokenPost(realm, service, options.scopes, credentials.identityToken);
  const response = await send(request.url, request.init, {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    what: server,
  });
  if (response.status === 401 || response.status === 403) {
    const detail = await describeResponse(response, options.secrets);
    if (credentials === undefined) throw noCredentialsError(options);
    throw rejectedError({ ...options, credentials, by: server, detail, status: response.status });
  }
  if (!response.ok) {
    throw new ExternalError(
      `${server} failed: ${await describeResponse(response, options.secrets)}`,
    );
  }
  const parsed = TokenResponse.safeParse(await response.json().catch(() => undefined));
  const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
  if (!parsed.success || token === undefined || token === "") {
    throw new ExternalError(`${server} answered without a token (expected {"token": "…"})`);
  }
  options.addSecret(token);
  const given = parsed.data.expires_in;
  const seconds = given !== undefined && given > 0 ? given : DEFAULT_TOKEN_SECONDS;
  return {
    header: `Bearer ${token}`,
    expiresAt: options.now() + seconds * 1000 - Math.min(EXPIRY_MARGIN_MS, seconds * 500),
  };
}

interface TokenRequest {
  readonly url: string;
  readonly init: RequestInit;
}

/** The token flow proper: GET with Basic credentials, or none for an anonymous token. */
function tokenGet(
  realm: URL,
  service: string | undefined,
  scopes: readonly string[],
  credentials: RegistryCredentials | undefined,
): TokenRequest {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set("service", service);
  // Our scopes, not the challenge's, as the Docker client does: a registry challenges a blob
  // HEAD with `pull` only, and a token for that would be refused at the upload that follows.
  for (const scope of scopes) url.searchParams.append("scope", scope);
  const headers: Record<string, string> = { accept: "application/json" };
  if (credentials !== undefined) headers["authorization"] = basicHeader(credentials);
  return { url: url.href, init: { method: "GET", headers } };
}

/**
 * The OAuth2 flow for an identity token (https://distribution.github.io/distribution/spec/auth/oauth/):
 * POST grant_type=refresh_token; the token goes in the form body, never in the URL.
 */
function tokenPost(
  realm: URL,
  service: string | undefined,
  scopes: readonly string[],
  identityToken: string,
): TokenRequest {
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: identityToken,
    client_id: "envforge",
    scope: scopes.join(" "),
  });
  if (service !== undefined) form.set("service", service);
  return {
    url: realm.href,
    init: {
      method: "POST",
      headers: {
        accept: "application/json",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: form.toString(),
    },
  };
}

export function noCredentialsError(options: {
  readonly registry: string;
  readonly credentialSource: string;
}): RegistryAuthError {
  return new RegistryAuthError(
    `registry ${options.registry} requires a login and no credentials for it were found (looked in ${options.credentialSource}); run "docker login ${options.registry}"`,
    { registry: options.registry, status: 401 },
  );
}

export function rejectedError(options: {
  readonly registry: string;
  readonly credentials: RegistryCredentials;
  readonly by: string;
  readonly detail: string;
  readonly status: number;
}): RegistryAuthError {
  const { credentials } = options;
  const what =
    credentials.identityToken === undefined
      ? `the credentials of user ${JSON.stringify(credentials.username)}`
      : "the identity token";
  return new RegistryAuthError(
    `${options.by} rejected ${what} from ${credentials.source} (${options.detail}); check them with "docker login ${options.registry}"`,
    { registry: options.registry, status: options.status },
  );
}
