/**
 * What `envforge gc` removes, decided without touching anything: build contexts older than their
 * limit, package-cache entries past the age limit and then the least recently used until the
 * cache fits its size limit, the native builder's layer-cache blobs by the same rule (their own
 * size limit), remembered answers (SBOM lookups, base images' interpreters) past the age limit,
 * and envforge images no version points to. Pure: lists in, lists out.
 */

export interface GcPolicy {
  readonly nowMs: number;
  /** Cache entries and images unused for longer go. */
  readonly maxAgeMs: number;
  /** The cache is trimmed, oldest first, to this size. */
  readonly maxCacheBytes: number;
  /** Build contexts older than this are leftovers of builds that died. */
  readonly contextAgeMs: number;
}

export interface CacheEntry {
  /** The package's sha256. */
  readonly key: string;
  readonly bytes: number;
  readonly lastUsedMs: number;
  /** Another process holds it (downloading, extracting): never removed. */
  readonly locked: boolean;
}

/** A file of a cache that remembers one answer per file (`key`: `<cache>/<file name>`). */
export interface AnswerEntry extends CacheEntry {
  readonly path: string;
}

export interface ContextFolder {
  readonly path: string;
  readonly modifiedMs: number;
}

export interface LocalImage {
  readonly id: string;
  readonly imageHash: string;
  readonly createdMs: number;
}

export interface GcPlan {
  readonly contexts: readonly ContextFolder[];
  readonly cache: readonly CacheEntry[];
  /** Layer-cache blobs (`key`: the blob's sha256 hex). */
  readonly layers: readonly CacheEntry[];
  /** Remembered answers. */
  readonly answers: readonly AnswerEntry[];
  readonly images: readonly LocalImage[];
}

export function planGc(input: {
  readonly policy: GcPolicy;
  readonly contexts: readonly ContextFolder[];
  readonly cache: readonly CacheEntry[];
  /** The native builder's layer-cache blobs; none when left out. */
  readonly layers?: readonly CacheEntry[];
  /**
   * Small files each remembering one answer (an image's SBOM, a base image's interpreter); none
   * when left out. Asked again when gone, so only their age counts.
   */
  readonly answers?: readonly AnswerEntry[];
  readonly images: readonly LocalImage[];
  /** Image hashes some version (archived or not) points to. */
  readonly pointedTo: ReadonlySet<string>;
}): GcPlan {
  const { policy } = input;
  const contexts = input.contexts.filter((c) => policy.nowMs - c.modifiedMs > policy.contextAgeMs);
  const images = input.images.filter(
    (image) =>
      !input.pointedTo.has(image.imageHash) && policy.nowMs - image.createdMs > policy.maxAgeMs,
  );
  return {
    contexts,
    cache: planCache(input.cache, policy),
    layers: planCache(input.layers ?? [], policy),
    answers: (input.answers ?? []).filter((e) => policy.nowMs - e.lastUsedMs > policy.maxAgeMs),
    images,
  };
}

function planCache(entries: readonly CacheEntry[], policy: GcPolicy): CacheEntry[] {
  const removable = entries.filter((e) => !e.locked);
  const old = removable.filter((e) => policy.nowMs - e.lastUsedMs > policy.maxAgeMs);
  const gone = new Set(old.map((e) => e.key));
  let total = entries.filter((e) => !gone.has(e.key)).reduce((sum, e) => sum + e.bytes, 0);
  const byAge = removable
    .filter((e) => !gone.has(e.key))
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.key < b.key ? -1 : 1));
  for (const entry of byAge) {
    if (total <= policy.maxCacheBytes) break;
    gone.add(entry.key);
    total -= entry.bytes;
  }
  return entries.filter((e) => gone.has(e.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
}
