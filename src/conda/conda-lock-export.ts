/**
 * Export of a lock to conda-lock's v1 file (`conda-lock.yml`), the format conda-lock-import.ts
 * reads: one `package:` list over all platforms, each entry with manager, platform, url, hash
 * and its dependencies as a name→spec map. Nothing is solved: every package, URL and sha256 is
 * the lock's own.
 */
import { stringify } from "yaml";
import type { LockContent, LockedCondaPackage, LockedPipPackage } from "../definition/lock.js";

export function formatCondaLock(lock: LockContent, source = "envforge.lock"): string {
  const key = lock.resolution?.hash ?? lock.definitionHash ?? "";
  const platforms = [...lock.platforms].sort((a, b) => compare(a.platform, b.platform));
  const document = {
    version: 1,
    metadata: {
      content_hash: Object.fromEntries(platforms.map((p) => [p.platform, key])),
      channels: lock.channels.map((url) => ({ url, used_env_vars: [] })),
      platforms: platforms.map((p) => p.platform),
      sources: [source],
    },
    package: platforms.flatMap((p) => [
      ...[...p.conda]
        .sort((a, b) => compare(a.name, b.name) || compare(a.subdir, b.subdir))
        .map((c) => condaEntry(c, p.platform)),
      ...[...p.pip].sort((a, b) => compare(a.name, b.name)).map((w) => pipEntry(w, p.platform)),
    ]),
  };
  return (
    "# conda-lock v1 file exported by `envforge lock --export conda-lock` (no solve).\n" +
    stringify(document, { lineWidth: 0, indent: 2, indentSeq: true })
  );
}

function condaEntry(c: LockedCondaPackage, platform: string): Record<string, unknown> {
  return {
    name: c.name,
    version: c.version,
    manager: "conda",
    platform,
    dependencies: dependencyMap(c.depends),
    url: c.url,
    hash: { ...(c.md5 === undefined ? {} : { md5: c.md5 }), sha256: c.sha256 },
    category: "main",
    optional: false,
  };
}

function pipEntry(w: LockedPipPackage, platform: string): Record<string, unknown> {
  return {
    name: w.name,
    version: w.version,
    manager: "pip",
    platform,
    dependencies: {},
    url: w.url,
    hash: { sha256: w.sha256 },
    category: "main",
    optional: false,
  };
}

/** `libgcc-ng >=7.2.0` → `{ "libgcc-ng": ">=7.2.0" }`; a bare name maps to `""`. */
function dependencyMap(depends: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const spec of depends) {
    const trimmed = spec.trim();
    const space = trimmed.indexOf(" ");
    const name = space < 0 ? trimmed : trimmed.slice(0, space);
    const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
    // conda-lock keeps one spec per name; a second one for the same name joins it.
    map[name] = map[name] === undefined || map[name] === "" ? rest : `${map[name]},${rest}`;
  }
  return map;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
