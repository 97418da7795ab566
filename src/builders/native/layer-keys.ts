/**
 * The layer cache's keys (layer-cache.ts): for each kind of layer, exactly what its bytes are
 * made from. Pure: data in, a key out.
 *
 * - A conda group: its packages' lock records in order (name, build, sha256, URL and the rest go
 *   into the files and the conda-meta records), the image's prefix (written into placeholders),
 *   the python of the lock when the group has noarch python packages (they are placed under its
 *   site-packages and their entry points run it), the clobbers that touch the group's packages
 *   (a loser's file is moved), and whether the group holds conda-meta/history.
 * - A pip layer: its wheels' lock records in order, the install scheme (paths and the scripts'
 *   interpreter) and the wheel installer's format.
 *
 * Both also hold where the tree is placed and SOURCE_DATE_EPOCH; LayerCache.keyOf adds the cache
 * format, the gzip level and zlib's version. A group's name is not in its key: it names a folder
 * that never reaches the tar, so two environments that group the same packages share the key.
 */
import type { Clobber } from "../../conda/clobbers.js";
import type { LockedCondaPackage, LockedPipPackage } from "../../definition/lock.js";
import type { PipScheme } from "../../recipe/index.js";
import { LayerCache } from "./layer-cache.js";

export interface CondaLayerKeyInput {
  readonly packages: readonly LockedCondaPackage[];
  /** The image's conda prefix, e.g. `/opt/envforge/env`. */
  readonly prefix: string;
  readonly sourceDateEpoch: number;
  /** The lock's python package, if it has one. */
  readonly python: LockedCondaPackage | undefined;
  /** Every clobber of the install; only those naming a package of the group count. */
  readonly clobbers: readonly Clobber[];
  /** conda-meta/history's text when this group holds it. */
  readonly history: string | undefined;
}

export function condaLayerKey(input: CondaLayerKeyInput): string {
  const names = new Set(input.packages.map((p) => p.name));
  const needsPython = input.packages.some((p) => p.noarch === "python");
  return LayerCache.keyOf({
    kind: "conda",
    at: input.prefix,
    sourceDateEpoch: input.sourceDateEpoch,
    packages: input.packages,
    python: needsPython && input.python !== undefined ? input.python : null,
    clobbers: input.clobbers.filter(
      (c) => names.has(c.winner) || c.losers.some((loser) => names.has(loser)),
    ),
    history: input.history ?? null,
  });
}

export interface PipLayerKeyInput {
  readonly packages: readonly LockedPipPackage[];
  readonly scheme: PipScheme;
  /** pip-layers-install.ts's INSTALLED_FORMAT. */
  readonly installedFormat: number;
  readonly sourceDateEpoch: number;
}

export function pipLayerKey(input: PipLayerKeyInput): string {
  return LayerCache.keyOf({
    kind: "pip",
    at: "",
    sourceDateEpoch: input.sourceDateEpoch,
    packages: input.packages,
    scheme: input.scheme,
    installedFormat: input.installedFormat,
  });
}
