/**
 * The conda layers of one platform's image in a build for several platforms (an image index).
 * conda packages are only placed, never run, so every platform's image is assembled on any
 * machine; what the platforms can share is their noarch packages. The rule:
 *
 * 1. `conda-meta-history` first: conda-meta/history alone (prefix-groups.ts writes it into the
 *    first group), the same bytes on every platform.
 * 2. The platform's own packages (subdir other than noarch), grouped by the recipe's rule
 *    (package-groups.ts: runtime, large-<name>, group-<n>).
 * 3. Its noarch packages, grouped by the same rule on their own and named `noarch-<group>`. A
 *    group's packages depend on their names alone, so the platforms that lock the same noarch
 *    builds have the same `noarch-*` layers, blob for blob, pushed once.
 *
 * A build for one platform keeps the recipe's groups as they are (and its digests).
 * Pure: a lock and a platform in, the groups out.
 */
import type { Lock, LockedCondaPackage } from "../../definition/lock.js";
import { InternalError } from "../../errors/index.js";
import { packageGroups, PREFIX_DIRECTORY } from "../../recipe/index.js";
import type { PackageGroup } from "../../recipe/index.js";

export const HISTORY_GROUP = "conda-meta-history";
export const NOARCH_PREFIX = "noarch-";

/** The platforms a lock holds, sorted (the order of the index's manifests). */
export function lockPlatforms(lock: Lock | undefined): readonly string[] {
  return [...new Set((lock?.platforms ?? []).map((p) => p.platform))].sort();
}

export function platformGroups(lock: Lock, platform: string): PackageGroup[] {
  const locked = lock.platforms.find((p) => p.platform === platform);
  if (locked === undefined) throw new InternalError(`the lock has no platform ${platform}`);
  const grouped = (conda: readonly LockedCondaPackage[]): PackageGroup[] =>
    packageGroups({ lock: { ...lock, platforms: [{ ...locked, conda }] }, platform });
  const noarch = (p: LockedCondaPackage): boolean => p.subdir === "noarch";
  return [
    group(HISTORY_GROUP, []),
    ...grouped(locked.conda.filter((p) => !noarch(p))),
    ...grouped(locked.conda.filter(noarch)).map((g) =>
      group(`${NOARCH_PREFIX}${g.name}`, g.packages),
    ),
  ];
}

function group(name: string, packages: readonly LockedCondaPackage[]): PackageGroup {
  return { name, directory: `${PREFIX_DIRECTORY}/${name}/`, packages };
}
