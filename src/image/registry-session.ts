/**
 * Talking to registries as one client: requests with whatever auth they take (a cached
 * Authorization first; on 401 the challenge is answered and the request made once more), the
 * credentials looked up once per registry, and every secret seen kept for redaction.
 */
import { ExternalError } from "../errors/index.js";
import { parseAuthChallenge } from "./auth-challenge.js";
import type { CredentialSource, RegistryCredentials } from "./credentials.js";
import { secretFormsOf } from "./redact.js";
import { authorize, noCredentialsError, rejectedError } from "./registry-auth.js";
import type { Authorization } from "./registry-auth.js";
import { RegistryAuthError } from "./registry-errors.js";
import { describeResponse, discard, send } from "./registry-http.js";
import type { FetchFunction } from "./registry-http.js";
import { registryBaseUrl } from "./registry-url.js";

export interface Target {
  readonly registry: string;
  readonly repository: string;
}

export interface RegistryRequest {
  readonly method: "HEAD" | "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Under `/v2/<repository>/`, e.g. `manifests/v1`; or an absolute URL (upload locations). */
  readonly path: string;
  /** `pull` to read, `pull,push` to write. */
  readonly actions: "pull" | "pull,push";
  /** More token scopes, e.g. `repository:<source>:pull` for a cross-repository mount. */
  readonly extraScopes?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  /** Made anew for each attempt, so the request can be sent again after a challenge. */
  readonly body?: () => NonNullable<RequestInit["body"]>;
  readonly timeoutMs?: number;
  /** Ends the request (and any token request it needs) with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface RegistrySessionOptions {
  readonly credentials: CredentialSource;
  readonly fetch: FetchFunction;
  readonly now: () => number;
  readonly timeoutMs: number;
}

export class RegistrySession {
  readonly #options: RegistrySessionOptions;
  /** Per `registry scopes`: the Authorization that worked last, reused until it expires. */
  readonly #authorizations = new Map<string, Authorization>();
  /** Per key as above: the challenge being answered, so requests sent together ask once. */
  readonly #authorizing = new Map<string, Promise<Authorization>>();
  readonly #credentialsByRegistry = new Map<string, Promise<RegistryCredentials | undefined>>();
  /** Every password form and token this client handled, removed from every message. */
  readonly secrets = new Set<string>();

  constructor(options: RegistrySessionOptions) {
    this.#options = options;
  }

  urlOf(target: Target, path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${registryBaseUrl(target.registry)}/v2/${target.repository}/${path}`;
  }

  async request(target: Target, request: RegistryRequest): Promise<Response> {
    const scopes = [
      `repository:${target.repository}:${request.actions}`,
      ...(request.extraScopes ?? []),
    ];
    const key = `${target.registry} ${scopes.join(" ")}`;
    const cached = this.#authorizations.get(key);
    const usable =
      cached !== undefined &&
      (cached.expiresAt === undefined || cached.expiresAt > this.#options.now());
    let response = await this.#send(target, request, usable ? cached.header : undefined);
    if (response.status !== 401) return response;
    this.#authorizations.delete(key);

    const challenge = parseAuthChallenge(response.headers.get("www-authenticate"));
    await discard(response);
    const credentials = await this.credentialsFor(target.registry);
    let authorizing = this.#authorizing.get(key);
    if (authorizing === undefined) {
      authorizing = authorize({
        registry: target.registry,
        challenge,
        scopes,
        credentials,
        credentialSource: this.#options.credentials.description,
        fetch: this.#options.fetch,
        timeoutMs: this.#options.timeoutMs,
        now: this.#options.now,
        addSecret: (secret) => this.secrets.add(secret),
        secrets: this.secrets,
      });
      this.#authorizing.set(key, authorizing);
      const settled = (): void => {
        this.#authorizing.delete(key);
      };
      authorizing.then(settled, settled);
    }
    const authorization = await authorizing;
    response = await this.#send(target, request, authorization.header);
    if (response.status === 401) {
      const retried = parseAuthChallenge(response.headers.get("www-authenticate"));
      const detail = await describeResponse(response, this.secrets);
      if (credentials === undefined) {
        throw noCredentialsError({
          registry: target.registry,
          credentialSource: this.#options.credentials.description,
        });
      }
      // The login worked but its token does not cover the repository: say so, not "wrong password".
      if (retried?.params["error"] === "insufficient_scope") {
        throw new RegistryAuthError(
          `registry ${target.registry} gave user ${JSON.stringify(credentials.username)} (from ${credentials.source}) no ${request.actions} access to repository ${target.repository}: it may not exist, or the user may not use it`,
          { registry: target.registry, status: 401 },
        );
      }
      throw rejectedError({
        registry: target.registry,
        credentials,
        by: `registry ${target.registry}`,
        detail,
        status: 401,
      });
    }
    this.#authorizations.set(key, authorization);
    return response;
  }

  #send(target: Target, request: RegistryRequest, authorization: string | undefined) {
    const url = this.urlOf(target, request.path);
    const headers: Record<string, string> = { ...request.headers };
    // An upload location on another host (a storage redirect) gets no registry credentials.
    if (authorization !== undefined && sameOrigin(url, registryBaseUrl(target.registry))) {
      headers["authorization"] = authorization;
    }
    const body = request.body?.();
    const streamed = body !== undefined && isAsyncIterable(body);
    return send(
      url,
      {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        // Node's fetch sends an async iterable body only in half-duplex mode.
        ...(streamed ? { duplex: "half" } : {}),
      },
      {
        fetch: this.#options.fetch,
        timeoutMs: request.timeoutMs ?? this.#options.timeoutMs,
        what: `registry ${target.registry}`,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
    );
  }

  credentialsFor(registry: string): Promise<RegistryCredentials | undefined> {
    let found = this.#credentialsByRegistry.get(registry);
    if (found === undefined) {
      found = this.#lookUp(registry);
      this.#credentialsByRegistry.set(registry, found);
      // A failed lookup (a helper missing from PATH…) is not remembered: the next call retries.
      found.catch(() => this.#credentialsByRegistry.delete(registry));
    }
    return found;
  }

  async #lookUp(registry: string): Promise<RegistryCredentials | undefined> {
    const credentials = await this.#options.credentials.find(registry);
    if (credentials !== undefined) {
      for (const secret of secretFormsOf(credentials.username, credentials.password)) {
        this.secrets.add(secret);
      }
      if (credentials.identityToken !== undefined) this.secrets.add(credentials.identityToken);
    }
    return credentials;
  }

  /** The error for a status the caller did not expect: a refusal for 403, else the status. */
  async unexpected(
    target: Target,
    request: Pick<RegistryRequest, "method" | "path">,
    response: Response,
  ): Promise<ExternalError> {
    const detail = await describeResponse(response, this.secrets);
    const path = /^https?:\/\//.test(request.path)
      ? new URL(request.path).pathname
      : `/v2/${target.repository}/${request.path}`;
    const what = `${request.method} ${path}`;
    if (response.status === 403) {
      const credentials = await this.credentialsFor(target.registry);
      const who =
        credentials === undefined
          ? "anonymous access"
          : `user ${JSON.stringify(credentials.username)} (from ${credentials.source})`;
      return new RegistryAuthError(
        `registry ${target.registry} denied ${who} to repository ${target.repository} (${what}: ${detail})`,
        { registry: target.registry, status: 403 },
      );
    }
    return new ExternalError(`registry ${target.registry} failed ${what}: ${detail}`);
  }
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
