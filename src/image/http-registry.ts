/**
 * The Registry port over the OCI distribution HTTP API
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md), on node:http
 * (node-http-fetch.ts says why not fetch).
 * Plain HTTP for loopback registries only; anonymous, Basic and Bearer-token auth with the
 * credentials of a CredentialSource (registry-session.ts); secrets redacted from every message.
 */
import { ExternalError, NotFoundError, ValidationError } from "../errors/index.js";
import type { ImageReference } from "../definition/definition.js";
import { formatImageReference, parseImageReference } from "../definition/image-reference.js";
import type { CredentialSource } from "./credentials.js";
import { checkManifestAnswer, isManifestMediaType, sha256Digest } from "./manifest-check.js";
import { MANIFEST_ACCEPT } from "./media-types.js";
import { nodeHttpFetch } from "./node-http-fetch.js";
import type { FetchFunction } from "./registry-http.js";
import { discard } from "./registry-http.js";
import { registryBaseUrl } from "./registry-url.js";
import { RegistrySession } from "./registry-session.js";
import type { Target } from "./registry-session.js";
import type {
  BlobContent,
  BlobUploadResult,
  Manifest,
  ManifestContent,
  ManifestStatus,
  Registry,
  RegistryReadOptions,
  RepositoryName,
  UploadBlobOptions,
} from "./registry.js";

export interface HttpRegistryOptions {
  readonly credentials: CredentialSource;
  /** For references that name no registry (`debian:bookworm`), e.g. `127.0.0.1:5000`. */
  readonly defaultRegistry?: string;
  readonly fetch?: FetchFunction;
  readonly now?: () => number;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  /** Per blob upload; default 30 min. */
  readonly uploadTimeoutMs?: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export class HttpRegistry implements Registry {
  readonly #session: RegistrySession;
  readonly #defaultRegistry: string | undefined;
  readonly #uploadTimeoutMs: number;

  constructor(options: HttpRegistryOptions) {
    this.#session = new RegistrySession({
      credentials: options.credentials,
      fetch: options.fetch ?? nodeHttpFetch(),
      now: options.now ?? Date.now,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    this.#defaultRegistry = options.defaultRegistry;
    this.#uploadTimeoutMs = options.uploadTimeoutMs ?? 30 * 60_000;
  }

  async manifestExists(
    image: ImageReference | string,
    options: RegistryReadOptions = {},
  ): Promise<ManifestStatus> {
    const reference = toReference(image);
    const target = this.#target(reference);
    const path = `manifests/${manifestKey(reference)}`;
    const request = {
      method: "HEAD",
      path,
      actions: "pull",
      headers: ACCEPT,
      ...signalOf(options),
    } as const;
    const response = await this.#session.request(target, request);
    await discard(response);
    if (response.status === 404) return { exists: false };
    if (response.status !== 200) throw await this.#session.unexpected(target, request, response);
    const mediaType = mediaTypeOf(response);
    const header = response.headers.get("docker-content-digest") ?? "";
    const pinned = reference.digest === undefined || reference.digest === header;
    if (DIGEST.test(header) && pinned && isManifestMediaType(mediaType)) {
      return { exists: true, digest: header, mediaType };
    }
    // A HEAD without a digest or a manifest type proves nothing: read the manifest and check it.
    const manifest = await this.getManifest(reference, options);
    return { exists: true, digest: manifest.digest, mediaType: manifest.mediaType };
  }

  async getManifestDigest(image: ImageReference | string): Promise<string> {
    const reference = toReference(image);
    const status = await this.manifestExists(reference);
    if (!status.exists || status.digest === undefined) throw this.#notFound(reference);
    return status.digest;
  }

  async getManifest(
    image: ImageReference | string,
    options: RegistryReadOptions = {},
  ): Promise<Manifest> {
    const reference = toReference(image);
    const target = this.#target(reference);
    const path = `manifests/${manifestKey(reference)}`;
    const request = {
      method: "GET",
      path,
      actions: "pull",
      headers: ACCEPT,
      ...signalOf(options),
    } as const;
    const response = await this.#session.request(target, request);
    if (response.status === 404) {
      await discard(response);
      throw this.#notFound(reference);
    }
    if (response.status !== 200) throw await this.#session.unexpected(target, request, response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const checked = checkManifestAnswer({
      contentType: mediaTypeOf(response),
      digestHeader: response.headers.get("docker-content-digest") ?? undefined,
      bytes,
    });
    if (!checked.ok) {
      throw new ExternalError(
        `registry ${target.registry} answered GET /v2/${target.repository}/${path} with something that is not a valid manifest: ${checked.problem}`,
      );
    }
    if (reference.digest !== undefined && reference.digest !== checked.digest) {
      throw new ExternalError(
        `registry ${target.registry} served a manifest for ${reference.digest} whose bytes hash to ${checked.digest}`,
      );
    }
    return {
      digest: checked.digest,
      mediaType: checked.mediaType,
      bytes,
      ...(checked.configDigest === undefined ? {} : { configDigest: checked.configDigest }),
    };
  }

  async blobExists(repository: RepositoryName | string, digest: string): Promise<boolean> {
    checkDigest(digest);
    const target = this.#target(toRepository(repository));
    const request = { method: "HEAD", path: `blobs/${digest}`, actions: "pull" } as const;
    const response = await this.#session.request(target, request);
    if (response.status === 404) return false;
    if (response.status === 200) return true;
    throw await this.#session.unexpected(target, request, response);
  }

  async getBlob(
    repository: RepositoryName | string,
    digest: string,
    options: RegistryReadOptions = {},
  ): Promise<Uint8Array> {
    checkDigest(digest);
    const target = this.#target(toRepository(repository));
    const request = {
      method: "GET",
      path: `blobs/${digest}`,
      actions: "pull",
      ...signalOf(options),
    } as const;
    const response = await this.#session.request(target, request);
    if (response.status === 404) {
      await discard(response);
      throw new NotFoundError(
        `blob ${digest} is not in repository ${target.repository} of registry ${target.registry}`,
      );
    }
    if (response.status !== 200) throw await this.#session.unexpected(target, request, response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (sha256Of(bytes) !== digest) {
      throw new ExternalError(
        `registry ${target.registry} served blob ${digest} with bytes that hash to ${sha256Of(bytes)}`,
      );
    }
    return bytes;
  }

  async uploadBlob(
    repository: RepositoryName | string,
    blob: BlobContent,
    options: UploadBlobOptions = {},
  ): Promise<BlobUploadResult> {
    checkDigest(blob.digest);
    const target = this.#target(toRepository(repository));
    const head = { method: "HEAD", path: `blobs/${blob.digest}`, actions: "pull,push" } as const;
    const exists = async (): Promise<boolean> => {
      const existing = await this.#session.request(target, head);
      await discard(existing);
      if (existing.status === 200) return true;
      if (existing.status !== 404) throw await this.#session.unexpected(target, head, existing);
      return false;
    };
    // With a source to mount from, the mount goes first: the registry answers 201 when the blob
    // is in the target now (mounted, or there already), one request where HEAD + POST took two.
    // A blob that is most likely new has its HEAD and its upload session asked for together.
    const together = options.mountFrom === undefined && options.likelyNew === true;
    if (options.mountFrom === undefined && !together && (await exists())) return "exists";

    // Spec: POST ?mount=<digest>&from=<repo> answers 201 when mounted, 202 (an upload session)
    // when the registry cannot mount; the session is then used for a monolithic upload.
    const query =
      options.mountFrom === undefined
        ? ""
        : `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`;
    const start = {
      method: "POST",
      path: `blobs/uploads/${query}`,
      actions: "pull,push",
      // A token registry mounts only with read access to the source granted in the token.
      ...(options.mountFrom === undefined
        ? {}
        : { extraScopes: [`repository:${options.mountFrom}:pull`] }),
    } as const;
    const [found, started] = await Promise.all([
      together ? exists() : false,
      this.#session.request(target, start).then(async (response) => {
        await discard(response);
        return response;
      }),
    ]);
    if (started.status === 201 && options.mountFrom !== undefined) return "mounted";
    // There already: a session that failed to open does not matter.
    if (found && started.status !== 202) return "exists";
    if (started.status !== 202) throw await this.#session.unexpected(target, start, started);
    const location = started.headers.get("location");
    if (location === null) {
      throw new ExternalError(`registry ${target.registry} started an upload without a Location`);
    }
    const url = new URL(location, this.#session.urlOf(target, "blobs/uploads/"));
    if (found || (options.mountFrom !== undefined && (await exists()))) {
      // In the target already (and not in the source): the session is not needed.
      await this.#cancelUpload(target, url.href);
      return "exists";
    }
    url.searchParams.set("digest", blob.digest);
    const put = {
      method: "PUT",
      path: url.href,
      actions: "pull,push",
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
      body: blob.open,
      timeoutMs: this.#uploadTimeoutMs,
    } as const;
    const done = await this.#session.request(target, put);
    if (done.status !== 201) throw await this.#session.unexpected(target, put, done);
    await discard(done);
    return "uploaded";
  }

  /** Ends an upload session that will not be used (the registry would drop it in time anyway). */
  async #cancelUpload(target: Target, location: string): Promise<void> {
    const cancel = { method: "DELETE", path: location, actions: "pull,push" } as const;
    await this.#session
      .request(target, cancel)
      .then(discard)
      .catch(() => undefined);
  }

  async putManifest(image: ImageReference | string, manifest: ManifestContent): Promise<string> {
    const reference = toReference(image);
    const target = this.#target(reference);
    const digest = sha256Of(manifest.bytes);
    const path = `manifests/${reference.tag ?? digest}`;
    const request = {
      method: "PUT",
      path,
      actions: "pull,push",
      headers: { "content-type": manifest.mediaType },
      body: () => manifest.bytes,
    } as const;
    const response = await this.#session.request(target, request);
    if (response.status !== 201) throw await this.#session.unexpected(target, request, response);
    await discard(response);
    const stored = response.headers.get("docker-content-digest");
    if (stored !== null && stored !== digest) {
      throw new ExternalError(
        `registry ${target.registry} stored the manifest as ${stored}, but its bytes hash to ${digest}`,
      );
    }
    return digest;
  }

  async listRepositories(registry: string): Promise<readonly string[]> {
    const target = { registry, repository: "_catalog" };
    const names: string[] = [];
    let next: string | undefined = `${registryBaseUrl(registry)}/v2/_catalog?n=1000`;
    while (next !== undefined) {
      const request = {
        method: "GET",
        path: next,
        actions: "pull",
        extraScopes: ["registry:catalog:*"],
      } as const;
      const response = await this.#session.request(target, request);
      if (response.status !== 200) throw await this.#session.unexpected(target, request, response);
      names.push(...stringList(await response.json(), "repositories"));
      next = nextPage(response, registry);
    }
    return names.sort();
  }

  async listTags(repository: RepositoryName | string): Promise<readonly string[]> {
    const target = this.#target(toRepository(repository));
    const request = { method: "GET", path: "tags/list", actions: "pull" } as const;
    const response = await this.#session.request(target, request);
    if (response.status === 404) {
      await discard(response);
      return [];
    }
    if (response.status !== 200) throw await this.#session.unexpected(target, request, response);
    return stringList(await response.json(), "tags").sort();
  }

  async deleteManifest(repository: RepositoryName | string, digest: string): Promise<boolean> {
    checkDigest(digest);
    const target = this.#target(toRepository(repository));
    const request = {
      method: "DELETE",
      path: `manifests/${digest}`,
      actions: "pull,push",
    } as const;
    const response = await this.#session.request(target, request);
    await discard(response);
    if (response.status === 404) return false;
    if (response.status === 202 || response.status === 200) return true;
    throw await this.#session.unexpected(target, request, response);
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

  #notFound(reference: ImageReference): NotFoundError {
    const target = this.#target(reference);
    return new NotFoundError(
      `image ${formatImageReference({ ...reference, registry: target.registry })} is not in registry ${target.registry}`,
    );
  }
}

const ACCEPT = { accept: MANIFEST_ACCEPT };

function signalOf(options: RegistryReadOptions): { readonly signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

function toReference(image: ImageReference | string): ImageReference {
  return typeof image === "string" ? parseImageReference(image) : image;
}

/** The digest when there is one (it pins), else the tag, else `latest` as Docker does. */
function manifestKey(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? "latest";
}

function mediaTypeOf(response: Response): string | undefined {
  const type = response.headers.get("content-type")?.split(";")[0]?.trim();
  return type === undefined || type === "" ? undefined : type;
}

function sha256Of(bytes: Uint8Array): string {
  return sha256Digest(bytes);
}

function checkDigest(digest: string): void {
  if (DIGEST.test(digest)) return;
  throw ValidationError.single({
    key: "digest",
    message: "is not a blob digest",
    found: JSON.stringify(digest),
    allowed: '"sha256:" and 64 lower-case hex digits',
  });
}

/** `127.0.0.1:5000/envforge/debian` -> its registry and repository; no tag or digest allowed. */
function toRepository(repository: RepositoryName | string): RepositoryName {
  if (typeof repository !== "string") return repository;
  const reference = parseImageReference(repository);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw ValidationError.single({
      key: "repository",
      message: "a repository name has no tag or digest",
      found: JSON.stringify(repository),
      allowed: "registry[:port]/repository",
    });
  }
  return reference.registry === undefined
    ? { repository: reference.repository }
    : { registry: reference.registry, repository: reference.repository };
}

/** The string list under `key` of a catalog or tags answer (`null` when a repository has none). */
function stringList(body: unknown, key: string): string[] {
  if (typeof body !== "object" || body === null) return [];
  const value: unknown = Reflect.get(body, key);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The next page of a paginated answer (`Link: </v2/_catalog?last=x&n=1000>; rel="next"`). */
function nextPage(response: Response, registry: string): string | undefined {
  const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get("link") ?? "")?.[1];
  if (link === undefined) return undefined;
  const url = new URL(link, registryBaseUrl(registry));
  // Only the registry's own origin: a page link elsewhere would get its credentials.
  return url.origin === new URL(registryBaseUrl(registry)).origin ? url.toString() : undefined;
}
