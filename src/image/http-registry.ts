/**
 * The Registry port over the OCI distribution HTTP API (https://github.com/opencontainers/distribution-spec),
 * on Node's fetch. Plain HTTP for loopback registries only; anonymous, Basic and Bearer-token
 * auth with the credentials of a CredentialSource; secrets redacted from every message.
 */
import { createHash } from "node:crypto";
import { NotFoundError, ValidationError } from "../errors/index.js";
import { ExternalError } from "../errors/index.js";
import type { ImageReference } from "../spec/definition.js";
import { formatImageReference, parseImageReference } from "../spec/image-reference.js";
import { parseAuthChallenge } from "./auth-challenge.js";
import type { CredentialSource, RegistryCredentials } from "./credentials.js";
import { MANIFEST_ACCEPT } from "./media-types.js";
import { secretFormsOf } from "./redact.js";
import { authorize, noCredentialsError, rejectedError } from "./registry-auth.js";
import type { Authorization } from "./registry-auth.js";
import { RegistryAuthError } from "./registry-errors.js";
import { describeResponse, discard, send } from "./registry-http.js";
import type { FetchFunction } from "./registry-http.js";
import { registryBaseUrl } from "./registry-url.js";
import type { ManifestStatus, Registry, RepositoryName } from "./registry.js";

export interface HttpRegistryOptions {
  readonly credentials: CredentialSource;
  /** For references that name no registry (`debian:bookworm`), e.g. `127.0.0.1:5000`. */
  readonly defaultRegistry?: string;
  readonly fetch?: FetchFunction;
  readonly now?: () => number;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

interface Target {
  readonly registry: string;
  readonly repository: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export class HttpRegistry implements Registry {
  readonly #credentials: CredentialSource;
  readonly #defaultRegistry: string | undefined;
  readonly #fetch: FetchFunction;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  /** Per `registry scope`: the Authorization that worked last, reused until it expires. */
  readonly #authorizations = new Map<string, Authorization>();
  readonly #credentialsByRegistry = new Map<string, Promise<RegistryCredentials | undefined>>();
  /** Every password form and token this client handled, removed from every message. */
  readonly #secrets = new Set<string>();

  constructor(options: HttpRegistryOptions) {
    this.#credentials = options.credentials;
    this.#defaultRegistry = options.defaultRegistry;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async manifestExists(image: ImageReference | string): Promise<ManifestStatus> {
    const reference = typeof image === "string" ? parseImageReference(image) : image;
    const target = this.#target(reference);
    const path = `manifests/${reference.digest ?? reference.tag ?? "latest"}`;
    const response = await this.#request(target, "HEAD", path);
    if (response.status === 404) return { exists: false };
    if (response.status !== 200) throw await this.#unexpected(target, "HEAD", path, response);
    const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim();
    const header = response.headers.get("docker-content-digest") ?? "";
    const digest =
      reference.digest ?? (DIGEST.test(header) ? header : await this.#hashManifest(target, path));
    return { exists: true, digest, ...(mediaType ? { mediaType } : {}) };
  }

  async getManifestDigest(image: ImageReference | string): Promise<string> {
    const reference = typeof image === "string" ? parseImageReference(image) : image;
    const status = await this.manifestExists(reference);
    if (!status.exists || status.digest === undefined) {
      const target = this.#target(reference);
      throw new NotFoundError(
        `image ${formatImageReference({ ...reference, registry: target.registry })} is not in registry ${target.registry}`,
      );
    }
    return status.digest;
  }

  async blobExists(repository: RepositoryName | string, digest: string): Promise<boolean> {
    if (!DIGEST.test(digest)) {
      throw ValidationError.single({
        key: "digest",
        message: "is not a blob digest",
        found: JSON.stringify(digest),
        allowed: '"sha256:" and 64 lower-case hex digits',
      });
    }
    const target = this.#target(
      typeof repository === "string" ? repositoryOf(repository) : repository,
    );
    const path = `blobs/${digest}`;
    const response = await this.#request(target, "HEAD", path);
    if (response.status === 404) return false;
    if (response.status === 200) return true;
    throw await this.#unexpected(target, "HEAD", path, response);
  }

  #target(name: RepositoryName): Target {
    const registry = name.registry ?? this.#defaultRegistry;
    if (registry === undefined) {
      throw ValidationError.single({
        key: "image",
        message: "names no registry and no default registry is configured",
        found: JSON.stringify(name.repository),
        allowed: "registry[:port]/repository, e.g. 127.0.0.1:5000/envforge/debian",
      });
    }
    return { registry, repository: name.repository };
  }

  /**
   * One request with whatever auth it takes: a cached Authorization first; on 401 the challenge
   * is answered and the request made once more. Returns any other status to the caller.
   */
  async #request(target: Target, method: "HEAD" | "GET", path: string): Promise<Response> {
    const url = `${registryBaseUrl(target.registry)}/v2/${target.repository}/${path}`;
    const scope = `repository:${target.repository}:pull`;
    const key = `${target.registry} ${scope}`;
    const cached = this.#authorizations.get(key);
    const usable =
      cached !== undefined && (cached.expiresAt === undefined || cached.expiresAt > this.#now());
    let response = await this.#send(target, method, url, usable ? cached.header : undefined);
    if (response.status !== 401) return response;
    this.#authorizations.delete(key);

    const challenge = parseAuthChallenge(response.headers.get("www-authenticate"));
    await discard(response);
    const credentials = await this.#credentialsFor(target.registry);
    const authorization = await authorize({
      registry: target.registry,
      challenge,
      scope,
      credentials,
      credentialSource: this.#credentials.description,
      fetch: this.#fetch,
      timeoutMs: this.#timeoutMs,
      now: this.#now,
      addSecret: (secret) => this.#secrets.add(secret),
      secrets: this.#secrets,
    });
    response = await this.#send(target, method, url, authorization.header);
    if (response.status === 401) {
      const detail = await describeResponse(response, this.#secrets);
      if (credentials === undefined)
        throw noCredentialsError({ ...target, credentialSource: this.#credentials.description });
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

  #send(target: Target, method: string, url: string, authorization: string | undefined) {
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (authorization !== undefined) headers["authorization"] = authorization;
    return send(
      url,
      { method, headers },
      { fetch: this.#fetch, timeoutMs: this.#timeoutMs, what: `registry ${target.registry}` },
    );
  }

  #credentialsFor(registry: string): Promise<RegistryCredentials | undefined> {
    let found = this.#credentialsByRegistry.get(registry);
    if (found === undefined) {
      found = this.#credentials.find(registry).then((credentials) => {
        if (credentials !== undefined) {
          for (const secret of secretFormsOf(credentials.username, credentials.password)) {
            this.#secrets.add(secret);
          }
        }
        return credentials;
      });
      this.#credentialsByRegistry.set(registry, found);
    }
    return found;
  }

  /** A registry that sends no Docker-Content-Digest: the digest is the sha256 of the bytes. */
  async #hashManifest(target: Target, path: string): Promise<string> {
    const response = await this.#request(target, "GET", path);
    if (response.status !== 200) throw await this.#unexpected(target, "GET", path, response);
    const bytes = Buffer.from(await response.arrayBuffer());
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  }

  async #unexpected(
    target: Target,
    method: string,
    path: string,
    response: Response,
  ): Promise<ExternalError> {
    const detail = await describeResponse(response, this.#secrets);
    const request = `${method} /v2/${target.repository}/${path}`;
    if (response.status === 403) {
      const credentials = await this.#credentialsFor(target.registry);
      const who =
        credentials === undefined
          ? "anonymous access"
          : `user ${JSON.stringify(credentials.username)} (from ${credentials.source})`;
      return new RegistryAuthError(
        `registry ${target.registry} denied ${who} to repository ${target.repository} (${request}: ${detail})`,
        { registry: target.registry, status: 403 },
      );
    }
    return new ExternalError(`registry ${target.registry} failed ${request}: ${detail}`);
  }
}

/** `127.0.0.1:5000/envforge/debian` -> its registry and repository; no tag or digest allowed. */
function repositoryOf(text: string): RepositoryName {
  const reference = parseImageReference(text);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw ValidationError.single({
      key: "repository",
      message: "a repository name has no tag or digest",
      found: JSON.stringify(text),
      allowed: "registry[:port]/repository",
    });
  }
  return reference.registry === undefined
    ? { repository: reference.repository }
    : { registry: reference.registry, repository: reference.repository };
}
