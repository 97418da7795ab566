/**
 * Which pip distributions share an image layer, and where their files go in the image. Like the
 * conda groups (package-groups.ts), a distribution's layer depends on that distribution alone:
 * changing one wheel's version changes one layer, and every other layer keeps its bytes, its
 * digest, and its place in the registry. envforge installs each layer's wheels into
 * `envforge/pip/<name>/` as a tree rooted at the image's `/` (pip/install-wheel.ts), and the
 * Dockerfile copies that tree to `/`.
 *
 * One layer per distribution up to MAX_PIP_LAYERS; an environment with more distributions is
 * spread over PIP_BUCKETS layers by the first 32 bits of sha256(name), so it stays far below
 * the image's layer limit and a distribution never changes bucket.
 */
import { createHash } from "node:crypto";
import { byCodeUnits } from "../definition/canonical-json.js";
import type { Lock, LockedPipPackage } from "../definition/lock.js";
import type { PipLayer, PipScheme } from "./recipe.js";

export const PIP_DIRECTORY = "envforge/pip";
export const MAX_PIP_LAYERS = 40;
export const PIP_BUCKETS = 24;

/** The lock's pip distributions of `platform` in layers, in Dockerfile order. */
export function pipLayers(options: { readonly lock: Lock; readonly platform: string }): PipLayer[] {
  const packages = [
    ...(options.lock.platforms.find((p) => p.platform === options.platform)?.pip ?? []),
  ].sort((a, b) => byCodeUnits(a.name, b.name));
  if (packages.length <= MAX_PIP_LAYERS) return packages.map((p) => layer(p.name, [p]));
  const buckets = Array.from({ length: PIP_BUCKETS }, () => [] as LockedPipPackage[]);
  for (const p of packages) buckets[pipBucketOf(p.name)]?.push(p);
  return buckets.flatMap((members, i) =>
    members.length === 0 ? [] : [layer(`group-${i}`, members)],
  );
}

/** Where wheels go for a conda environment's python `major.minor` at `prefix`. */
export function condaPipScheme(prefix: string, pythonVersion: string): PipScheme {
  const site = `${prefix}/lib/python${pythonVersion}/site-packages`;
  return {
    pythonVersion,
    interpreter: `${prefix}/bin/python`,
    purelib: site,
    platlib: site,
    scripts: `${prefix}/bin`,
    data: prefix,
    include: `${prefix}/include/python${pythonVersion}`,
  };
}

/** First 32 bits of sha256(name), modulo PIP_BUCKETS. */
export function pipBucketOf(name: string): number {
  const hex = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8);
  return Number.parseInt(hex, 16) % PIP_BUCKETS;
}

function layer(name: string, packages: readonly LockedPipPackage[]): PipLayer {
  return { name, directory: `${PIP_DIRECTORY}/${name}/`, packages };
}
