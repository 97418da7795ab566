/**
 * The registry port: what envforge asks of an OCI distribution registry. Callers see image
 * references, digests and bytes only; the HTTP adapter (`http-registry.ts`) and its auth stay
 * behind it.
 */
import type { ImageReference } from "../definition/definition.js";

/** A repository in a registry. No `registry` means the client's configured default registry. */
export interface RepositoryName {
  readonly registry?: string;
  readonly repository: string;
}

export interface ManifestStatus {
  readonly exists: boolean;
  /** `sha256:<64 hex>` of the manifest bytes the registry serves; set when it exists. */
  readonly digest?: string;
  /** The manifest's media type (OCI or Docker v2, image or index), when the registry says. */
  readonly mediaType?: string;
}

/** A manifest as bytes: its digest is the sha256 of exactly these bytes. */
export interface ManifestContent {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** A manifest as the registry served it, checked: type, digest header and shape. */
export interface Manifest extends ManifestContent {
  readonly digest: string;
  /** The config blob of an image manifest; absent for an index. */
  readonly configDigest?: string;
}

export interface BlobContent {
  /** `sha256:<64 hex>` of the bytes; the registry checks it. */
  readonly digest: string;
  readonly size: number;
  /** The bytes, opened once per attempt so an upload can be sent again. */
  readonly open: () => Uint8Array | AsyncIterable<Uint8Array>;
}

export interface UploadBlobOptions {
  /** Another repository of the same registry that may hold the blob: mounted, not sent. */
  readonly mountFrom?: string;
  /**
   * The blob is most likely not in the registry (just made, e.g. a new image's config): its HEAD
   * and the upload session are asked for together, and the session is ended if HEAD finds it.
   */
  readonly likelyNew?: boolean;
}

/** What an upload did: nothing (the repository had it), a cross-repository mount, or a send. */
export type BlobUploadResult = "exists" | "mounted" | "uploaded";

/** For reads a caller may need to stop (a build's cache check). */
export interface RegistryReadOptions {
  /** Aborting ends the request at once with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface Registry {
  /** HEAD of the manifest (tag or digest): whether it exists, and its digest. */
  manifestExists(
    image: ImageReference | string,
    options?: RegistryReadOptions,
  ): Promise<ManifestStatus>;
  /** The manifest digest of the image; a NotFoundError when the registry does not have it. */
  getManifestDigest(image: ImageReference | string): Promise<string>;
  /** The manifest bytes; a NotFoundError when the registry does not have it. */
  getManifest(image: ImageReference | string, options?: RegistryReadOptions): Promise<Manifest>;
  blobExists(repository: RepositoryName | string, digest: string): Promise<boolean>;
  /** A blob's bytes (e.g. an image config), checked against the digest; for small blobs. */
  getBlob(
    repository: RepositoryName | string,
    digest: string,
    options?: RegistryReadOptions,
  ): Promise<Uint8Array>;
  /** Makes the blob present in the repository, sending its bytes only when it must. */
  uploadBlob(
    repository: RepositoryName | string,
    blob: BlobContent,
    options?: UploadBlobOptions,
  ): Promise<BlobUploadResult>;
  /** Stores the manifest under the reference's tag (or digest); returns its digest. */
  putManifest(image: ImageReference | string, manifest: ManifestContent): Promise<string>;
  /** Every repository of the registry (`/v2/_catalog`, all pages), sorted. */
  listRepositories(registry: string): Promise<readonly string[]>;
  /** The tags of a repository, sorted; none when the registry does not know it. */
  listTags(repository: RepositoryName | string): Promise<readonly string[]>;
  /** Deletes a manifest by digest (the registry must allow deletes); false when it was gone. */
  deleteManifest(repository: RepositoryName | string, digest: string): Promise<boolean>;
}
