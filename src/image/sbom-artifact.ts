/**
 * The SBOM attached to an image, read back from the registry by the image's digest: the
 * referrers tag `sha256-<hex>` (the OCI distribution spec's fallback scheme, which the native
 * builder always writes) lists the artifact manifest whose subject is the image, and that
 * manifest's one layer is the SBOM document.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { NotFoundError } from "../errors/index.js";
import type { Registry } from "./registry.js";

export const CYCLONEDX_JSON = "application/vnd.cyclonedx+json";

export interface SbomReference {
  /** The SBOM document's blob digest. */
  readonly digest: string;
  readonly mediaType: string;
  /** The artifact manifest that attaches it to the image. */
  readonly artifact: string;
}

const Index = z.object({
  manifests: z.array(z.object({ artifactType: z.string().optional(), digest: z.string() })),
});
const Artifact = z.object({
  subject: z.object({ digest: z.string() }).optional(),
  layers: z.array(z.object({ mediaType: z.string(), digest: z.string() })),
});

/** `sha256-<hex>`: the tag under which the referrers of `digest` are listed. */
export function referrersTagOf(digest: string): string {
  return digest.replace(":", "-");
}

/**
 * The CycloneDX SBOM attached to `image` (`registry/repository`) at `digest`, or null when the
 * registry lists none for it.
 */
export async function findSbom(
  registry: Registry,
  image: string,
  digest: string,
): Promise<SbomReference | null> {
  const tag = `${image}:${referrersTagOf(digest)}`;
  if (!(await registry.manifestExists(tag)).exists) return null;
  const index = Index.parse(JSON.parse(decode((await registry.getManifest(tag)).bytes)));
  for (const entry of index.manifests) {
    if (entry.artifactType !== CYCLONEDX_JSON) continue;
    const manifest = await registry.getManifest(`${image}@${entry.digest}`);
    const artifact = Artifact.parse(JSON.parse(decode(manifest.bytes)));
    const layer = artifact.layers.find((l) => l.mediaType === CYCLONEDX_JSON);
    if (artifact.subject?.digest === digest && layer !== undefined) {
      return { digest: layer.digest, mediaType: layer.mediaType, artifact: entry.digest };
    }
  }
  return null;
}

/** The SBOM document's bytes; a NotFoundError naming the image when none is attached. */
export async function fetchSbom(
  registry: Registry,
  image: string,
  digest: string,
): Promise<{ readonly reference: SbomReference; readonly bytes: Uint8Array }> {
  const reference = await findSbom(registry, image, digest);
  if (reference === null) {
    throw new NotFoundError(
      `image ${image}@${digest} has no SBOM attached (no ${CYCLONEDX_JSON} artifact under the tag ${referrersTagOf(digest)}); only the native builder attaches one`,
    );
  }
  const slash = image.indexOf("/");
  const repository = { registry: image.slice(0, slash), repository: image.slice(slash + 1) };
  return { reference, bytes: await registry.getBlob(repository, reference.digest) };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export interface SbomFinderOptions {
  /**
   * A folder that keeps each answer by image and digest (one small file each), so another process
   * asks the registry no more either: `$ENVFORGE_HOME/cache/sboms`. None: memory only.
   */
  readonly cacheDir?: string;
  /** Answers kept in memory, least recently used dropped first; default 1,000. */
  readonly maxEntries?: number;
}

const CachedAnswer = z.object({
  sbom: z.object({ digest: z.string(), mediaType: z.string() }).nullable(),
});

/**
 * findSbom for image details: what is attached, or null when nothing is or the registry cannot
 * be asked (details still answer while a registry is down).
 *
 * An answer is kept by image and digest, in memory (bounded) and in `cacheDir`: the SBOM of a
 * digest never changes, and "none" does not either for the images details ask about (a build
 * succeeds only after the native builder attached the SBOM, and no other builder attaches one).
 * So a read asks the registry once per image, with up to three requests, and never again. A
 * registry that cannot be asked is not an answer: nothing is kept, the next read asks again.
 */
export function sbomFinder(
  registry: Registry,
  options: SbomFinderOptions = {},
): (image: string, digest: string) => Promise<{ digest: string; mediaType: string } | null> {
  const maxEntries = options.maxEntries ?? 1_000;
  const memory = new Map<string, { digest: string; mediaType: string } | null>();
  const remember = (key: string, sbom: { digest: string; mediaType: string } | null): void => {
    memory.delete(key);
    memory.set(key, sbom);
    for (const oldest of memory.keys()) {
      if (memory.size <= maxEntries) break;
      memory.delete(oldest);
    }
  };
  return async (image, digest) => {
    const key = `${image}@${digest}`;
    const known = memory.get(key);
    if (known !== undefined || memory.has(key)) {
      remember(key, known ?? null);
      return known ?? null;
    }
    const file =
      options.cacheDir === undefined
        ? undefined
        : join(options.cacheDir, `${createHash("sha256").update(key).digest("hex")}.json`);
    if (file !== undefined) {
      const stored = await readFile(file, "utf8")
        .then((text) => CachedAnswer.safeParse(JSON.parse(text)))
        .catch(() => undefined);
      if (stored?.success === true) {
        remember(key, stored.data.sbom);
        return stored.data.sbom;
      }
    }
    let sbom: { digest: string; mediaType: string } | null;
    try {
      const found = await findSbom(registry, image, digest);
      sbom = found === null ? null : { digest: found.digest, mediaType: found.mediaType };
    } catch {
      return null;
    }
    remember(key, sbom);
    if (file !== undefined && options.cacheDir !== undefined) {
      // Written whole and renamed; a folder that cannot be written only costs the next process
      // the registry's requests.
      const partial = `${file}.${randomBytes(4).toString("hex")}.part`;
      await mkdir(options.cacheDir, { recursive: true })
        .then(() => writeFile(partial, `${JSON.stringify({ sbom })}\n`))
        .then(() => rename(partial, file))
        .catch(() => rm(partial, { force: true }));
    }
    return sbom;
  };
}
