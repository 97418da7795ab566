/**
 * Which conda packages share an image layer. The rule is chosen so that a package's group
 * depends on the package alone, never on what else is in the environment: then adding, removing
 * or upgrading one package changes exactly one layer, and every other layer keeps its bytes (and
 * so its digest, which the registry already has). In Dockerfile order:
 *
 * 1. `runtime`: the interpreter and the C runtime it stands on (RUNTIME_PACKAGES). They change
 *    together and rarely, and a Python upgrade moves site-packages anyway.
 * 2. `large-<name>`: each package of at least LARGE_PACKAGE_BYTES (compressed size from the
 *    lock) alone, at most MAX_LARGE_GROUPS of them (largest first, then by name). A change of a
 *    small package never re-pushes pytorch or MKL, and a pytorch upgrade re-pushes only pytorch.
 * 3. `group-0` … `group-7`: everything else, by the first 32 bits of sha256(name) modulo
 *    BUCKETS. Hashing spreads packages evenly and is stable: a package never moves bucket.
 *
 * Empty groups are left out. Without a lock there is one group, `all`, filled at build time.
 */
import { createHash } from "node:crypto";
import { byCodeUnits } from "../definition/canonical-json.js";
import type { Lock, LockedCondaPackage } from "../definition/lock.js";
import type { PackageGroup } from "./recipe.js";

export const RUNTIME_PACKAGES: ReadonlySet<string> = new Set([
  "_libgcc_mutex",
  "_openmp_mutex",
  "bzip2",
  "ca-certificates",
  "ld_impl_linux-64",
  "ld_impl_linux-aarch64",
  "libexpat",
  "libffi",
  "libgcc",
  "libgcc-ng",
  "libgomp",
  "liblzma",
  "libmpdec",
  "libnsl",
  "libsqlite",
  "libstdcxx",
  "libstdcxx-ng",
  "libuuid",
  "libxcrypt",
  "libzlib",
  "ncurses",
  "openssl",
  "python",
  "python_abi",
  "readline",
  "sqlite",
  "tk",
  "tzdata",
  "xz",
  "zlib",
]);

/**
 * 8 MiB compressed: numpy, scipy, MKL, CUDA libraries and pytorch each get a layer of their
 * own, which two environments holding the same build of the package share in the registry.
 */
export const LARGE_PACKAGE_BYTES = 8 * 1024 * 1024;
export const MAX_LARGE_GROUPS = 16;
export const BUCKETS = 8;
export const PREFIX_DIRECTORY = "envforge/prefix";

/** The packages of the lock's platform split into layers; `all` without a lock. */
export function packageGroups(options: {
  readonly lock?: Lock;
  readonly platform: string;
}): PackageGroup[] {
  if (options.lock === undefined) return [group("all", [])];
  const packages = options.lock.platforms.find((p) => p.platform === options.platform)?.conda ?? [];
  const runtime = packages.filter((p) => RUNTIME_PACKAGES.has(p.name));
  const others = packages.filter((p) => !RUNTIME_PACKAGES.has(p.name));
  const large = others
    .filter((p) => (p.size ?? 0) >= LARGE_PACKAGE_BYTES)
    .sort((a, b) => (b.size ?? 0) - (a.size ?? 0) || byCodeUnits(a.name, b.name))
    .slice(0, MAX_LARGE_GROUPS)
    .sort((a, b) => byCodeUnits(a.name, b.name));
  const buckets = Array.from({ length: BUCKETS }, () => [] as LockedCondaPackage[]);
  for (const p of others) {
    if (!large.includes(p)) buckets[bucketOf(p.name)]?.push(p);
  }
  return [
    group("runtime", runtime),
    ...large.map((p) => group(`large-${p.name}`, [p])),
    ...buckets.map((members, i) => group(`group-${i}`, members)),
  ].filter((g) => g.name === "all" || g.packages.length > 0);
}

/** First 32 bits of sha256(name), modulo BUCKETS. */
export function bucketOf(name: string): number {
  return (
    Number.parseInt(createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8), 16) %
    BUCKETS
  );
}

function group(name: string, packages: readonly LockedCondaPackage[]): PackageGroup {
  return {
    name,
    directory: `${PREFIX_DIRECTORY}/${name}/`,
    packages: [...packages].sort(
      (a, b) => byCodeUnits(a.name, b.name) || byCodeUnits(a.filename, b.filename),
    ),
  };
}
