/** Manifest media types a registry may answer with; sent in `Accept` so none is converted. */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
] as const;

export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");
