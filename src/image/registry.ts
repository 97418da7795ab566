/**
 * The registry port: what envforge asks of an OCI distribution registry. Callers see image
 * references and digests only; the HTTP adapter (`http-registry.ts`) and its auth stay behind it.
 */
import type { ImageReference } from "../spec/definition.js";

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

export interface Registry {
  /** HEAD of the manifest (tag or digest): whether it exists, and its digest. */
  manifestExists(image: ImageReference | string): Promise<ManifestStatus>;
  /** The manifest digest of the image; a NotFoundError when the registry does not have it. */
  getManifestDigest(image: ImageReference | string): Promise<string>;
  blobExists(repository: RepositoryName | string, digest: string): Promise<boolean>;
}
