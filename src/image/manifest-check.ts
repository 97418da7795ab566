/**
 * What a registry's manifest answer must be before envforge believes it: a manifest media type,
 * a `Docker-Content-Digest` (when sent) equal to the sha256 of the bytes, and bytes that are a
 * manifest of that type. A registry that answers 200 to everything must not pass for a cache hit.
 * Pure: bytes and headers in, the checked manifest or a reason out.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { MANIFEST_MEDIA_TYPES } from "./media-types.js";

export type ManifestMediaType = (typeof MANIFEST_MEDIA_TYPES)[number];

export interface ManifestAnswer {
  /** The `Content-Type` without parameters; undefined when the registry sent none. */
  readonly contentType: string | undefined;
  /** The `Docker-Content-Digest` header; undefined when the registry sent none. */
  readonly digestHeader: string | undefined;
  readonly bytes: Uint8Array;
}

export type ManifestCheck =
  | {
      readonly ok: true;
      readonly digest: string;
      readonly mediaType: ManifestMediaType;
      /** The config blob of an image manifest (none for an index). */
      readonly configDigest?: string;
    }
  | { readonly ok: false; readonly problem: string };

/** Only the fields the check reads; the rest of a manifest may be anything. */
const ManifestShape = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: z.looseObject({ digest: z.string() }).optional(),
  layers: z.array(z.unknown()).optional(),
  manifests: z.array(z.unknown()).optional(),
});

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_TYPES = new Set<string>([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

export function isManifestMediaType(value: string | undefined): value is ManifestMediaType {
  return value !== undefined && (MANIFEST_MEDIA_TYPES as readonly string[]).includes(value);
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function checkManifestAnswer(answer: ManifestAnswer): ManifestCheck {
  const { contentType, digestHeader, bytes } = answer;
  if (!isManifestMediaType(contentType)) {
    return {
      ok: false,
      problem: `content type ${contentType === undefined ? "(none)" : JSON.stringify(contentType)} is not a manifest type (allowed: ${MANIFEST_MEDIA_TYPES.join(", ")})`,
    };
  }
  const digest = sha256Digest(bytes);
  if (digestHeader !== undefined && digestHeader !== digest) {
    return {
      ok: false,
      problem: `Docker-Content-Digest ${JSON.stringify(digestHeader.slice(0, 80))} does not match the body, whose sha256 is ${digest}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, problem: `the body (${bytes.length} bytes) is not JSON` };
  }
  const parsed = ManifestShape.safeParse(json);
  if (!parsed.success) {
    return { ok: false, problem: "the body is not a manifest (no schemaVersion 2)" };
  }
  const manifest = parsed.data;
  if (manifest.mediaType !== undefined && manifest.mediaType !== contentType) {
    return {
      ok: false,
      problem: `the body says mediaType ${JSON.stringify(manifest.mediaType)} but the answer's content type is ${contentType}`,
    };
  }
  if (!IMAGE_TYPES.has(contentType)) {
    if (manifest.manifests === undefined) {
      return { ok: false, problem: "an index without a manifests list" };
    }
    return { ok: true, digest, mediaType: contentType };
  }
  const configDigest = manifest.config?.digest;
  if (configDigest === undefined || !DIGEST.test(configDigest)) {
    return { ok: false, problem: "an image manifest without a sha256 config digest" };
  }
  if (manifest.layers === undefined) {
    return { ok: false, problem: "an image manifest without a layers list" };
  }
  return { ok: true, digest, mediaType: contentType, configDigest };
}
