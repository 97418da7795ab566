export type {
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
export { openRegistry } from "./open-registry.js";
export type { OpenRegistryOptions } from "./open-registry.js";
export { HttpRegistry } from "./http-registry.js";
export type { HttpRegistryOptions } from "./http-registry.js";
export type { FetchFunction } from "./registry-http.js";
export type { CredentialSource, RegistryCredentials } from "./credentials.js";
export { anonymousCredentials } from "./credentials.js";
export { dockerConfigCredentials, dockerConfigPath } from "./docker-config.js";
export type { DockerConfigOptions } from "./docker-config.js";
export { RegistryAuthError } from "./registry-errors.js";
export { REDACTED, redact, secretFormsOf } from "./redact.js";
export { hostnameOf, isLoopbackHost, registryBaseUrl } from "./registry-url.js";
export { MANIFEST_ACCEPT, MANIFEST_MEDIA_TYPES } from "./media-types.js";
export {
  CYCLONEDX_JSON,
  fetchSbom,
  findSbom,
  referrersTagOf,
  sbomFinder,
} from "./sbom-artifact.js";
export type { SbomReference } from "./sbom-artifact.js";
