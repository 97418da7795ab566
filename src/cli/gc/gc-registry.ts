/**
 * `envforge gc --registry`: deletes, in the configured registry, the envforge images no version
 * points to. Only repositories named `<registry path>/envforge_<32 hex>` are looked at, and a
 * tag is deleted only when its image says envforge made it for that hash (the image config's
 * `dev.envforge.image-hash` label equals the repository's name); anything else is left alone
 * and named. The registry must allow deletes (`storage.delete.enabled`); its own garbage
 * collection then frees the blobs.
 */
import { HASH_PATTERN } from "../../definition/definition-hash.js";
import type { Registry } from "../../image/registry.js";
import { IMAGE_HASH_LABEL } from "./gc-scan.js";

export interface RegistryImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly imageHash: string;
}

export interface RegistryGcPlan {
  /** Unreferenced envforge images, by repository and tag. */
  readonly images: readonly RegistryImage[];
  /** Repositories or tags that look like envforge's but were left alone, and why. */
  readonly skipped: readonly { readonly reference: string; readonly reason: string }[];
}

/** `127.0.0.1:5000/envforge` → host `127.0.0.1:5000`, path `envforge`. */
export function splitRegistry(registry: string): { host: string; path: string } {
  const trimmed = registry.replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  return slash < 0
    ? { host: trimmed, path: "" }
    : { host: trimmed.slice(0, slash), path: trimmed.slice(slash + 1) };
}

/** The image hash a repository name stands for, when it is one of envforge's under `path`. */
export function envforgeRepositoryHash(repository: string, path: string): string | undefined {
  const prefix = path === "" ? "" : `${path}/`;
  if (!repository.startsWith(prefix)) return undefined;
  const rest = repository.slice(prefix.length);
  return HASH_PATTERN.test(rest) ? rest : undefined;
}

export async function planRegistryGc(options: {
  readonly registry: Registry;
  /** The configured registry, e.g. `127.0.0.1:5000/envforge`. */
  readonly location: string;
  readonly pointedTo: ReadonlySet<string>;
}): Promise<RegistryGcPlan> {
  const { registry } = options;
  const { host, path } = splitRegistry(options.location);
  const images: RegistryImage[] = [];
  const skipped: { reference: string; reason: string }[] = [];
  for (const repository of await registry.listRepositories(host)) {
    const hash = envforgeRepositoryHash(repository, path);
    if (hash === undefined || options.pointedTo.has(hash)) continue;
    const name = { registry: host, repository };
    for (const tag of await registry.listTags(name)) {
      const reference = `${host}/${repository}:${tag}`;
      const manifest = await registry.getManifest({ registry: host, repository, tag });
      if (manifest.configDigest === undefined) {
        skipped.push({ reference, reason: "an image index, which envforge does not push" });
        continue;
      }
      const label = imageHashLabel(await registry.getBlob(name, manifest.configDigest));
      if (label !== hash) {
        skipped.push({
          reference,
          reason: `its ${IMAGE_HASH_LABEL} label is ${label === undefined ? "absent" : JSON.stringify(label)}, so envforge did not make it`,
        });
        continue;
      }
      images.push({ repository, tag, digest: manifest.digest, imageHash: hash });
    }
  }
  return { images, skipped };
}

export async function applyRegistryGc(
  registry: Registry,
  location: string,
  plan: RegistryGcPlan,
): Promise<void> {
  const { host } = splitRegistry(location);
  const done = new Set<string>();
  for (const image of plan.images) {
    // Tags of one manifest share its digest: it is deleted once.
    const key = `${image.repository}@${image.digest}`;
    if (done.has(key)) continue;
    done.add(key);
    await registry.deleteManifest({ registry: host, repository: image.repository }, image.digest);
  }
}

function imageHashLabel(configBytes: Uint8Array): string | undefined {
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes));
  } catch {
    return undefined;
  }
  const labels = field(field(config, "config"), "Labels");
  const value = field(labels, IMAGE_HASH_LABEL);
  return typeof value === "string" ? value : undefined;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? Reflect.get(value, key) : undefined;
}
